#!/bin/sh
# The CKAN Action API subset (harvest/ckan.c), walked the way
# ckanext-harvest's CKAN harvester walks it (ckanharvester.py
# _search_for_datasets: package_search?rows=100&start=0&sort=id asc, with
# fq=metadata_modified:[SINCE TO *] after a first job, next page at
# start+rows until a page is empty; then import_stage reads each dict).
# Every field the harvester and base.py read is checked on every result;
# package_list/package_show/organization_list/status_show as other CKAN
# clients use them; CKAN's error envelope and statuses; a private package
# (published, then marked private in the file) never appears.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/http_lib.inc"

DB=$TMP/portal.db
for d in "$REPO"/data/*/; do
	"$KUERI" publish --db "$DB" "$d/datapackage.kueri.json" >>"$TMP/pub.log" 2>&1
done
hp_private_canary "$DB"   # published, then marked private (http_lib.inc)
hp_start "$DB" || { ok 1 "server starts"; done_testing; exit 1; }
API=$BASE/api/3/action

# gather_stage, first job: every dataset, paged as the harvester pages.
walk() {  # walk FQ: the harvester's paging loop; ids into $TMP/ids, pages in $TMP/pages
	start=0; : >"$TMP/ids"; pages=0; prev=""
	while :; do
		if [ -n "$1" ]; then
			st=$(get "$API/package_search" -G --data-urlencode "fq=$1" \
				--data-urlencode rows=2 --data-urlencode "start=$start" \
				--data-urlencode "sort=id asc")
		else
			st=$(get "$API/package_search?rows=2&start=$start&sort=id+asc")
		fi
		[ "$st" = 200 ] || { echo "# page at $start: HTTP $st"; return 1; }
		cur=$(cat "$TMP/b")
		[ "$cur" = "$prev" ] && { echo "# the same page twice"; return 1; }
		prev=$cur
		n=$(jq '.result.results | length' "$TMP/b")
		cp "$TMP/b" "$TMP/page$pages"; pages=$((pages + 1))
		[ "$n" -eq 0 ] && return 0
		jq -r '.result.results[].id' "$TMP/b" >>"$TMP/ids"
		start=$((start + 2))
		[ $pages -gt 20 ] && return 1
	done
}
walk ""; ok $? "package_search pages (rows=2) until an empty page"
is "$(wc -l <"$TMP/ids" | tr -d ' ')" 3 "the walk finds the three public datasets"
is "$(sort "$TMP/ids" | tr '\n' ' ')" "$(sort "$TMP/ids" | uniq | tr '\n' ' ')" "no id twice"
is "$(tr '\n' ' ' <"$TMP/ids")" "$(sort "$TMP/ids" | tr '\n' ' ')" "sort=id asc orders by id"
is "$(jq -r '.help' "$TMP/page0")" "$API/help_show?name=package_search" "envelope: help"
is "$(jq -r '.success' "$TMP/page0")" true "envelope: success"
is "$(jq -r '.result.count' "$TMP/page0")" 3 "result.count is the total"

# Every field ckanharvester.py / base.py read, on every result.
jq -s '[.[].result.results[]]' "$TMP"/page* >"$TMP/all.json"
check() {  # check JQ-BOOLEAN DESCRIPTION: true for every package
	bad=$(jq -r "[.[] | select(($1) | not) | .name] | join(\",\")" "$TMP/all.json")
	is "$bad" "" "$2"
}
check '.id | type == "string" and length > 0' "id (HarvestObject guid)"
check '.name | test("^[a-z0-9_-]{2,100}$")' "name (a CKAN name)"
check '.title | type == "string" and length > 0' "title"
check '.notes | type == "string"' "notes"
check '.type == "dataset"' "type is dataset (not harvest)"
check '.metadata_modified | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}$")' \
	"metadata_modified in CKAN's format"
check '.metadata_created | test("^[0-9]{4}-")' "metadata_created"
check '.license_id | type == "string" and length > 0' "license_id"
check '.owner_org == .organization.id and .organization.name != null and .organization.is_organization == true' \
	"owner_org and organization"
check '.tags | type == "array" and length > 0 and all(.name | type == "string")' "tags [{name}]"
check '.groups == []' "groups (none)"
check '.extras | type == "array" and all(has("key") and has("value"))' "extras [{key, value}]"
check '.extras | map(select(.key == "update_frequency")) | length == 1' "extras carry update_frequency"
check '.private == false' "private is false"
check '.resources | length >= 2 and all(.id and .name and .url and .format and .mimetype
	and (.description | type == "string") and .last_modified)' \
	"resources[] id, name, url, format, mimetype, description, last_modified"
check '[.resources[] | select(.format == "CSV")] | length >= 1' "a CSV resource per package"
check '.num_resources == (.resources | length) and .num_tags == (.tags | length)' "num_resources, num_tags"
vd=$(jq -r '.[] | .resources[] | select(.id == "villages") | .description' "$TMP/all.json")
like "$vd" '.{10,}' "a resource description from the package"
for u in $(jq -r '.[].resources[].url' "$TMP/all.json"); do
	printf '%s %s\n' "$(curl -s -o /dev/null -w '%{http_code}' "$u")" "$u"
done >"$TMP/urls"
is "$(grep -vc '^200 ' "$TMP/urls")" 0 "every resource url answers 200 ($(wc -l <"$TMP/urls" | tr -d ' ') urls)"

# Later jobs: only what changed since the last harvest (minus an hour).
walk "metadata_modified:[2000-01-01T00:00:00.000000Z TO *]"; ok $? "fq since 2000: walk"
is "$(wc -l <"$TMP/ids" | tr -d ' ')" 3 "... every dataset"
walk "metadata_modified:[2999-01-01T00:00:00Z TO *]"; ok $? "fq since 2999: walk"
is "$(wc -l <"$TMP/ids" | tr -d ' ')" 0 "... nothing (returns [] at once)"
org=$(jq -r '.[0].owner_org' "$TMP/all.json")
get "$API/package_search" -G --data-urlencode "fq=-organization:$org" >/dev/null
is "$(jq -r '.result.count' "$TMP/b")" 2 "fq=-organization:X leaves the others out"
get "$API/package_search" -G --data-urlencode "fq=organization:$org" >/dev/null
is "$(jq -r '.result.count' "$TMP/b")" 1 "fq=organization:X keeps only X's"
get "$API/package_search?q=covid" >/dev/null
is "$(jq -r '.result.count' "$TMP/b")" 1 "q=covid finds one"
get "$API/package_search?q=name:covid19-indonesia-provinsi-harian" >/dev/null
is "$(jq -c '[.result.count, .result.results[0].name]' "$TMP/b")" '[1,"covid19-indonesia-provinsi-harian"]' \
	"q=name:X (a Solr field term) finds that package"
tag=$(jq -r '[.[].tags[].name][0]' "$TMP/all.json")
get "$API/package_search" -G --data-urlencode "q=tags:$tag" >/dev/null
is "$(jq -r '.result.count' "$TMP/b")" "$(jq --arg t "$tag" '[.[] | select(any(.tags[]; .name == $t))] | length' "$TMP/all.json")" \
	"q=tags:X counts the packages with that tag"
get "$API/package_search" -G --data-urlencode "q=organization:$org" >/dev/null
is "$(jq -r '.result.count' "$TMP/b")" 1 "q=organization:X"
get "$API/package_search?q=name:no-such" >/dev/null
is "$(jq -r '.result.count' "$TMP/b")" 0 "q=name:Y of no package finds none"
get "$API/package_search?rows=1&start=1&sort=name+desc" >/dev/null
is "$(jq -r '.result.results[0].name' "$TMP/b")" harga-konsumen-komoditas-pangan-kota-bandung \
	"rows/start/sort name desc"

# Other calls.
st=$(get "$API/package_list")
is "$st" 200 "package_list"
is "$(jq -c '.result' "$TMP/b")" "$(jq -c '[.[].name] | sort' "$TMP/all.json")" "... names every public package"
like "$(header ETag)" '^"kd-ckan-' "API answers carry an ETag"
like "$(header Last-Modified)" 'GMT$' "... and Last-Modified"
name=$(jq -r '.[0].name' "$TMP/all.json")
st=$(get "$API/package_show?id=$name")
is "$st" 200 "package_show?id="
is "$(jq -c '.result' "$TMP/b")" "$(jq -c '.[0]' "$TMP/all.json")" "... the same dict as package_search"
st=$(get "$API/organization_list")
is "$(jq -r '.result | length' "$TMP/b")" 3 "organization_list: one per publisher"
st=$(get "$API/organization_list?all_fields=true")
is "$(jq -r '[.result[].package_count] | add' "$TMP/b")" 3 "... all_fields with package_count"
st=$(get "$API/organization_show?id=$org")
is "$(jq -r '.result.name' "$TMP/b")" "$org" "organization_show (remote_orgs)"
st=$(get "$API/status_show")
is "$(jq -r '.result.api_version' "$TMP/b")" 3 "status_show"

# Errors, as CKAN gives them.
st=$(get "$API/package_show?id=no-such")
is "$st" 404 "package_show of an unknown id → 404"
is "$(jq -c '[.success, .error.__type]' "$TMP/b")" '[false,"Not Found Error"]' "... CKAN's error envelope"
st=$(get "$API/package_show")
is "$st" 409 "package_show without id → 409"
is "$(jq -c '[.error.__type, .error.id[0]]' "$TMP/b")" '["Validation Error","Missing value"]' "... Validation Error naming id"
st=$(get "$API/package_search?rows=-1")
is "$st" 409 "rows=-1 → 409"
st=$(get "$API/package_search" -G --data-urlencode "fq=res_format:CSV")
is "$st" 409 "an fq term we do not filter on → 409, not silently ignored"
is "$(jq -r '.error.__type' "$TMP/b")" "Search Query Error" "... Search Query Error"
st=$(get "$API/package_search?sort=score+asc")
is "$st" 409 "an unknown sort → 409"
st=$(get "$API/no_such_action")
is "$st" 400 "unknown action → 400"
like "$(jq -r '.error.message' "$TMP/b")" 'Action name not known' "... CKAN's message"
is "$(header Cache-Control)" no-store "errors are not cached"

# Actions CKAN clients call beyond the harvester's (CKAN's action API
# reference: current_package_list_with_resources, resource_show, tag_list,
# help_show, which every envelope's "help" names).
st=$(get "$API/current_package_list_with_resources")
is "$st" 200 "current_package_list_with_resources"
is "$(jq -r '.result | length' "$TMP/b")" 3 "... every public package"
is "$(jq -c '[.result[] | (.resources | length) > 0] | all' "$TMP/b")" true "... each with its resources"
is "$(jq -c '[.result[].metadata_modified] == ([.result[].metadata_modified] | sort | reverse)' "$TMP/b")" true \
	"... the most recently modified first"
get "$API/current_package_list_with_resources?limit=1&offset=1" >/dev/null
is "$(jq -c '[(.result | length), .result[0].name]' "$TMP/b")" \
	"$(curl -s "$API/current_package_list_with_resources" | jq -c '[1, .result[1].name]')" "... limit and offset page it"
get "$API/current_package_list_with_resources?limit=1&page=2" >/dev/null
is "$(jq -c '[(.result | length), .result[0].name]' "$TMP/b")" \
	"$(curl -s "$API/current_package_list_with_resources" | jq -c '[1, .result[1].name]')" "... and page (1-based, of limit)"
rid=$(jq -r '.[0].resources[0].id' "$TMP/all.json")
st=$(get "$API/resource_show?id=$rid")
is "$st" 200 "resource_show?id="
is "$(jq -c '.result' "$TMP/b")" "$(jq -c '.[0].resources[0]' "$TMP/all.json")" "... the resource dict of package_show"
st=$(get "$API/resource_show?id=no-such")
is "$(jq -c "[$st, .error.__type]" "$TMP/b")" '[404,"Not Found Error"]' "resource_show of an unknown id → 404"
st=$(get "$API/tag_list")
is "$st" 200 "tag_list"
is "$(jq -c '.result' "$TMP/b")" "$(jq -c '[.[].tags[].name] | unique' "$TMP/all.json")" "... every tag once, sorted"
st=$(get "$API/help_show?name=package_search")
is "$(jq -c "[$st, .success, (.result | type)]" "$TMP/b")" '[200,true,"string"]' \
	"help_show answers for the action every envelope's help names"
st=$(get "$API/help_show?name=no_such")
is "$st" 404 "help_show of an unknown action → 404"

# The private package, nowhere.
for a in package_list "package_search?rows=1000" organization_list status_show \
	"package_show?id=kueri-canary" "organization_show?id=kueri-test-suite" \
	current_package_list_with_resources tag_list; do
	curl -s "$API/$a" >"$TMP/c"
	grep -qi canary "$TMP/c"
	is $? 1 "no trace of the private package in $a"
done
done_testing
