-- POST /lookup for a random one of the seeded names.
-- Arguments after `--`: NAMES_FILE (one name per line).
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
local requests = {}

function init(args)
  for _, name in ipairs(common.read_lines(args[1])) do
    requests[#requests + 1] = common.post("/lookup", '{"name":"' .. name .. '"}')
  end
end

function request()
  return requests[math.random(#requests)]
end

done = common.done
