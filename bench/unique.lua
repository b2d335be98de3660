-- bench/unique.lua -- wrk script: every request a distinct URL (a counter
-- in a query option kueri ignores), so nginx's cache cannot answer and the
-- row measures kueri itself.  Each wrk thread counts from its own start.
local n = 0
local base = nil
local tid = 0
setup = function(thread) tid = tid + 1; thread:set("tid", tid) end
request = function()
	n = n + 1
	if base == nil then
		base = wrk.path .. (string.find(wrk.path, "?", 1, true) and "&" or "?")
	end
	return wrk.format(nil, base .. "bench=" .. tostring(tid or 0) .. "-" .. n)
end
