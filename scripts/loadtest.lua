-- Rotates GET requests over the paths listed in the file named by LOADTEST_PATHS, counts every answer
-- that is not 200 (a redirect to the sign-in page included) as a failure, and prints one JSON line of
-- figures when the run ends.
local paths = {}
for line in io.lines(os.getenv("LOADTEST_PATHS")) do
  paths[#paths + 1] = line
end
local cookie = os.getenv("LOADTEST_COOKIE")
local threads = {}

setup = function(thread)
  threads[#threads + 1] = thread
end

init = function(args)
  not_ok = 0
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

request = function()
  local path = paths[math.random(#paths)]
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end

response = function(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  local not_200 = 0
  for _, thread in ipairs(threads) do
    not_200 = not_200 + thread:get("not_ok")
  end
  -- wrk's own status errors (>= 400) are already among the answers that are not 200
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "failures": %d, "not_200": %d, "timeouts": %d, "socket_errors": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + not_200, not_200, e.timeout,
    e.connect + e.read + e.write,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
