-- bench/unique.lua -- wrk script: every request a distinct URL (a counter
-- in a query option kueri ignores), so nginx's cache cannot answer and the
-- row measures kueri itself.  Each wrk thread gets its own number through
-- thread:set (a global in that thread's Lua state: a local here would stay
-- 0 in every thread, and two threads would ask the same URLs -- the second
-- of each pair then came from nginx's cache).
local threads = 0
local n = 0
local base = nil
setup = function(thread) threads = threads + 1; thread:set("thread_id", threads) end
request = function()
	n = n + 1
	if base == nil then
		base = wrk.path .. (string.find(wrk.path, "?", 1, true) and "&" or "?")
	end
	return wrk.format(nil, base .. "bench=" .. tostring(thread_id or 0) .. "-" .. n)
end
