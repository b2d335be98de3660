-- bench/backoff.lua -- wrk script: a client that honours Retry-After (1 s)
-- after a 503, as a well-behaved app does, instead of asking again at once.
-- One wrk thread drives many connections; the wait is per thread, so this
-- is a coarse model of a crowd of such clients, used for the cold-herd row.
local last = 200
response = function(status, headers, body) last = status end
delay = function()
	if last == 503 then
		last = 200
		return 1000
	end
	return 0
end
