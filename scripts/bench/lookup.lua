-- POST /lookup for a random one of the seeded names.
-- Arguments after `--`: a file of names, one per line.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

init, request = common.one_field("/lookup", "name")
done = common.done
