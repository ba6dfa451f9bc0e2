-- wrk script for the matcher service: POST one fixed binary body of float32 probes to /v1/search.
-- Environment: WRK_BODY_FILE (required; n x 512 little-endian float32), WRK_TOKEN (optional).
-- At the end prints one line "WRK_JSON {...}" with counts and latency percentiles in microseconds,
-- taken from wrk's own HdrHistogram (latency:percentile).

local path = assert(os.getenv("WRK_BODY_FILE"), "set WRK_BODY_FILE to the request body file")
local file = assert(io.open(path, "rb"))
wrk.body = file:read("*a")
file:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
local token = os.getenv("WRK_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, ' ..
    '"errors_timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
