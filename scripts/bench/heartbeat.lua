-- POST /heartbeat for a random one of the seeded instance ids.
-- Arguments after `--`: a file of instance ids, one per line.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

init, request = common.one_field("/heartbeat", "id")
done = common.done
