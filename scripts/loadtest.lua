-- Rotates GET requests over the paths listed in the file named by LOADTEST_PATHS and prints
-- one JSON line of figures when the run ends.
local paths = {}
for line in io.lines(os.getenv("LOADTEST_PATHS")) do
  paths[#paths + 1] = line
end
local cookie = os.getenv("LOADTEST_COOKIE")

request = function()
  local path = paths[math.random(#paths)]
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "failures": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
