-- POST /heartbeat for a random one of the seeded instance ids.
-- Arguments after `--`: IDS_FILE (one id per line).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
local requests = {}

function init(args)
  for _, id in ipairs(common.read_lines(args[1])) do
    requests[#requests + 1] = common.post("/heartbeat", '{"id":"' .. id .. '"}')
  end
end

function request()
  return requests[math.random(#requests)]
end

done = common.done
