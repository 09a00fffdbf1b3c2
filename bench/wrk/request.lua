-- One fixed request for wrk, and a machine-readable summary.
-- wrk -s bench/wrk/request.lua URL -- METHOD BODY_FILE ACCEPT
--   METHOD     GET or POST; BODY_FILE (POST only) holds an application/x-www-form-urlencoded body
--   ACCEPT     the Accept header (e.g. application/sparql-results+json)
-- done() prints one line "WRK_JSON {...}" that bench/_harness.py reads: requests, duration,
-- error counts (non-2xx/3xx answers included) and latency percentiles in microseconds.

function init(args)
  wrk.method = args[1]
  if args[2] ~= nil and args[2] ~= "" then
    local f = assert(io.open(args[2], "rb"))
    wrk.body = f:read("*a")
    f:close()
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  wrk.headers["Accept"] = args[3]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors_connect": %d, "errors_read": %d, ' ..
    '"errors_write": %d, "errors_status": %d, "errors_timeout": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
