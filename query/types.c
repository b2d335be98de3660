/*
 * types.c -- the engine's value types (kq_type): their EDM names, the
 * type of a published field, which are numeric; and operator names.  Below every stage:
 * the parser's tree dump, the resolver, $apply and the writers read it.
 */
#include "kq_int.h"

static const char *const edm[KT__MAX] = {
	[KT_NULL] = "null", [KT_BOOL] = "Edm.Boolean", [KT_INT32] = "Edm.Int32",
	[KT_INT] = "Edm.Int64", [KT_DECIMAL] = "Edm.Decimal",
	[KT_DOUBLE] = "Edm.Double", [KT_STRING] = "Edm.String",
	[KT_DATE] = "Edm.Date", [KT_DATETIME] = "Edm.DateTimeOffset",
	[KT_TIME] = "Edm.TimeOfDay", [KT_DURATION] = "Edm.Duration",
	[KT_GUID] = "Edm.Guid", [KT_GEO] = "Edm.GeographyPoint",
	[KT_ANY] = "any",
};

const char *
kq_type_edm(kq_type t)
{
	return (int)t >= 0 && t < KT__MAX ? edm[t] : "?";
}

kq_type
kq_type_of_field(const kp_field *f)
{
	switch (f->type) {
	case KP_STRING: return KT_STRING;
	case KP_INTEGER: return KT_INT;
	case KP_NUMBER: return f->decimal ? KT_DECIMAL : KT_DOUBLE;
	case KP_BOOLEAN: return KT_BOOL;
	case KP_DATE: return KT_DATE;
	case KP_DATETIME: return KT_DATETIME;
	case KP_TIME: return KT_TIME;
	case KP_YEAR: return KT_INT32;
	case KP_YEARMONTH: return KT_STRING;
	case KP_DURATION: return KT_DURATION;
	case KP_GEOPOINT: return KT_GEO;
	default: return KT_STRING;
	}
}

int
kq_type_numeric(kq_type t)
{
	return t == KT_INT32 || t == KT_INT || t == KT_DECIMAL || t == KT_DOUBLE;
}

/* Operator names as written in URLs, for messages and the tree dump. */
static const char *const opnames[O__MAX] = {
	[O_NONE] = "?", [O_OR] = "or", [O_AND] = "and", [O_EQ] = "eq",
	[O_NE] = "ne", [O_GT] = "gt", [O_GE] = "ge", [O_LT] = "lt",
	[O_LE] = "le", [O_HAS] = "has", [O_ADD] = "add", [O_SUB] = "sub",
	[O_MUL] = "mul", [O_DIV] = "div", [O_DIVBY] = "divby", [O_MOD] = "mod",
	[O_CAST] = "cast", [O_ISOF] = "isof",
};

const char *
kq_op_name(kq_op op)
{
	return (int)op >= 0 && op < O__MAX ? opnames[op] : "?";
}

/*
 * A duration literal (duration'...', or a string compared with a
 * duration).  The ABNF's durationValue is a day-time duration
 * ([-]P[nD][T[nH][nM][n[.n]S]]), but Table Schema's duration -- what the
 * published cells hold and $metadata declares as Edm.Duration -- is ISO
 * 8601's full form with years, months and weeks (P1M, P1Y2M3DT4H).  So a
 * literal may use the same form as the data:
 *   [-]P[nY][nM][nW][nD][T[nH][nM][n[.n]S]]
 * in that order, at least one part, a T followed by a part.  Years and
 * months compare by their average length (kq_duration in funcs.c).
 */
int
kq_duration_ok(const char *s, size_t n)
{
	ku_duration d;
	size_t      pos;
	int         u;

	if (ku_duration_parse(s, n, KU_DUR_SIGN, 0, &d, &pos) != KU_DUR_OK)
		return 0;
	for (u = 0; u < KU_DUR__N; u++)   /* a fraction: seconds only, '.' */
		if (d.mark[u] && (u != KU_DUR_S || d.mark[u] != '.'))
			return 0;
	return 1;
}
