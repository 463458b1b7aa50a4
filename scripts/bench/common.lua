-- Shared by the wrk scripts: loading files of names and ids, building requests once, and the
-- one JSON line the benchmark parses (wrk's own text report is for people).
local common = {}

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function common.read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  return lines
end

-- Requests are formatted once in init(): per-request Lua must stay trivial so that wrk,
-- not the server, is never the bottleneck.
function common.post(path, body)
  return wrk.format("POST", path, nil, body)
end

-- init() and request() for a script that POSTs {"<field>": <a random line of its file>} to
-- path; the file is the one argument after `--`.
function common.one_field(path, field)
  local requests = {}
  local function init(args)
    for _, value in ipairs(common.read_lines(args[1])) do
      requests[#requests + 1] = common.post(path, '{"' .. field .. '":"' .. value .. '"}')
    end
  end
  local function request()
    return requests[math.random(#requests)]
  end
  return init, request
end

function common.done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"non2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status))
end

return common
