-- wrk's script for web/benches/index.rs: done() prints wrk's figures for one page as one JSON line,
-- prefixed `pages-result `.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'pages-result {"requests":%d,"durationUs":%d,"statusErrors":%d,"socketErrors":%d,"p50Us":%d,' ..
    '"p99Us":%d,"maxUs":%d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
