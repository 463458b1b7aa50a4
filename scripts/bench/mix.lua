-- A registry's traffic: 90% lookup, 9% heartbeat, 1% churn (half register, half deregister).
-- Deregistrations take ids from a pool seeded for the purpose, so no response needs parsing
-- (a response() callback would make wrk itself slower); each thread takes its own share.
-- Arguments after `--`: NAMES_FILE IDS_FILE CHURN_IDS_FILE THREADS.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")
local lookups, heartbeats, deregisters = {}, {}, {}
local register
local next_deregister = 1
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  for _, name in ipairs(common.read_lines(args[1])) do
    lookups[#lookups + 1] = common.post("/lookup", '{"name":"' .. name .. '"}')
  end
  for _, id in ipairs(common.read_lines(args[2])) do
    heartbeats[#heartbeats + 1] = common.post("/heartbeat", '{"id":"' .. id .. '"}')
  end
  local threads = tonumber(args[4])
  for i, id in ipairs(common.read_lines(args[3])) do
    if (i - 1) % threads == thread_index then
      deregisters[#deregisters + 1] = common.post("/deregister", '{"id":"' .. id .. '"}')
    end
  end
  register = common.post("/register", '{"name":"churn","address":"10.9.0.1","port":8080}')
  math.randomseed(1000 + thread_index)
end

function request()
  local roll = math.random(1000)
  if roll <= 900 then return lookups[math.random(#lookups)] end
  if roll <= 990 then return heartbeats[math.random(#heartbeats)] end
  if roll <= 995 then return register end
  -- Past the end of the pool the ids are gone: still a full deregister request, answered false.
  local request = deregisters[next_deregister] or deregisters[#deregisters]
  next_deregister = next_deregister + 1
  return request
end

done = common.done
