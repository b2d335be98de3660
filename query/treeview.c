/*
 * treeview.c -- a text dump of an expression tree, for tests and for
 * reading a parse (after SQLite's treeview.c): (eq provinsi 'Bali').
 */
#include "kq_int.h"

void
kq_node_dump(const kq_node *n, ku_buf *b)
{
	int i;

	if (n == NULL) {
		ku_buf_puts(b, "<null>");
		return;
	}
	switch (n->kind) {
	case N_LIT:
		switch (n->lt) {
		case KT_NULL: ku_buf_puts(b, "null"); break;
		case KT_BOOL: ku_buf_puts(b, n->ival ? "true" : "false"); break;
		case KT_INT: ku_buf_printf(b, "%lld", n->ival); break;
		case KT_DOUBLE:
		case KT_DECIMAL: {
			char tmp[40];

			ku_fmt_double(tmp, sizeof(tmp), n->dval);
			ku_buf_printf(b, "%s%s", tmp, n->lt == KT_DECIMAL ? "m" : "d");
			break;
		}
		case KT_STRING:
			ku_buf_puts(b, "'");
			for (size_t k = 0; k < n->n; k++) {
				if (n->s[k] == '\'')
					ku_buf_puts(b, "'");
				ku_buf_add(b, n->s + k, 1);
			}
			ku_buf_puts(b, "'");
			break;
		case KT_DURATION:
			ku_buf_printf(b, "duration'%.*s'", (int)n->n, n->s);
			break;
		default:
			ku_buf_printf(b, "%s:%.*s", kq_type_edm(n->lt) + 4, (int)n->n,
			              n->s);
			break;
		}
		break;
	case N_PROP:
		ku_buf_add(b, n->s, n->n);
		break;
	case N_BIN:
		ku_buf_printf(b, "(%s ", kq_op_name(n->op));
		kq_node_dump(n->a, b);
		ku_buf_puts(b, " ");
		kq_node_dump(n->b, b);
		ku_buf_puts(b, ")");
		break;
	case N_NOT:
	case N_NEG:
		ku_buf_puts(b, n->kind == N_NOT ? "(not " : "(- ");
		kq_node_dump(n->a, b);
		ku_buf_puts(b, ")");
		break;
	case N_CALL:
		ku_buf_printf(b, "(%s", n->fn->name);
		for (i = 0; i < n->nargs; i++) {
			ku_buf_puts(b, " ");
			kq_node_dump(n->args[i], b);
		}
		ku_buf_puts(b, ")");
		break;
	case N_IN:
		ku_buf_puts(b, "(in ");
		kq_node_dump(n->a, b);
		ku_buf_puts(b, " (");
		for (i = 0; i < n->nargs; i++) {
			if (i)
				ku_buf_puts(b, " ");
			kq_node_dump(n->args[i], b);
		}
		ku_buf_puts(b, "))");
		break;
	case N_CAST:
		ku_buf_printf(b, "(%s ", kq_op_name(n->op));
		kq_node_dump(n->a, b);
		ku_buf_printf(b, " %.*s)", (int)n->n, n->s);
		break;
	default:
		ku_buf_puts(b, "<?>");
	}
}
