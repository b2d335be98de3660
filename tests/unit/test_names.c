/* test_names.c -- published names → OData identifiers (portal/names.c). */
#include "portal.h"
#include "tap.h"

static void
map(const char *const *in, int n, char (*out)[KP_NAME_MAX])
{
	kp_odata_names(in, n, out);
}

int
main(void)
{
	char out[8][KP_NAME_MAX];
	const char *a[] = { "id", "Harga Kemarin", "Gap Persen (%)", "2024",
	                    "é", "" };
	const char *b[] = { "Harga Kemarin", "Harga_Kemarin" };
	const char *c[] = { "a b", "a-b", "a_b_2" };

	map(a, 6, out);
	is_str(out[0], "id", "an identifier keeps its spelling");
	is_str(out[1], "Harga_Kemarin", "a space becomes '_'");
	is_str(out[2], "Gap_Persen_", "a run of other characters becomes one '_'");
	is_str(out[3], "_2024", "a leading digit gets a '_' prefix");
	is_str(out[4], "_", "a name with no ASCII identifier character becomes '_'");
	is_str(out[5], "__2", "an empty name still gets a distinct identifier");

	map(b, 2, out);
	is_str(out[1], "Harga_Kemarin", "a real identifier wins over a mapped twin");
	is_str(out[0], "Harga_Kemarin_2", "the mapped twin gets a suffix");

	map(c, 3, out);
	is_str(out[0], "a_b", "first of two names mapping alike keeps the base");
	is_str(out[1], "a_b_3",
	       "second skips a suffix that a later real identifier holds");
	is_str(out[2], "a_b_2", "the later real identifier keeps its spelling");

	ok(kp_is_odata_name("Harga_Kemarin") && !kp_is_odata_name("Harga Kemarin") &&
	   !kp_is_odata_name("9x") && !kp_is_odata_name(""),
	   "kp_is_odata_name accepts identifiers only");
	return tap_done();
}
