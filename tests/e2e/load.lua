-- wrk's script for tests/e2e/load.rs: replays pre-signed requests, each exactly once.
-- Arguments (after `--`): the file of requests, the number of wrk threads, and a file whose bytes are the body
-- of requests that name it. One request per line: method, path, content type, a header's name and value,
-- and the body, tab-separated; a body of `@` is the body file's bytes. Line i goes to thread i mod threads.
-- A thread that runs out stops and says so, rather than send a request twice. Statuses are counted; done()
-- prints one JSON line, prefixed `load-result `.

local threads = {}
local started = 0

function setup(thread)
  thread:set("id", started)
  started = started + 1
  table.insert(threads, thread)
end

local function fields(line)
  local out = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    out[#out + 1] = field
  end
  return out
end

function init(args)
  local path, stride, body_path = args[1], tonumber(args[2]), args[3]
  local shared = ""
  if body_path and body_path ~= "" then
    local file = assert(io.open(body_path, "rb"))
    shared = file:read("*a")
    file:close()
  end
  queue = {}
  exhausted = false
  statuses = {}
  local line_number = 0
  for line in io.lines(path) do
    if line_number % stride == id then
      local f = fields(line)
      local body = f[6]
      if body == "@" then
        body = shared
      end
      queue[#queue + 1] = wrk.format(f[1], f[2], {
        ["content-type"] = f[3],
        [f[4]] = f[5],
      }, body)
    end
    line_number = line_number + 1
  end
  sent = 0
end

function request()
  if sent >= #queue then
    exhausted = true
    wrk.thread:stop()
    -- Never sent: the thread stops before it writes again.
    return wrk.format("GET", "/v1/status")
  end
  sent = sent + 1
  return queue[sent]
end

-- Each status counted, and the first refusal other than those expected kept, to say why in the result.
function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status >= 400 and first_refusal == nil then
    first_refusal = status .. " " .. body:sub(1, 400):gsub("[%c]", " ")
  end
end

function done(summary, latency, requests)
  local exhausted_threads, refusal, counted = 0, "", {}
  for _, thread in ipairs(threads) do
    if thread:get("exhausted") then
      exhausted_threads = exhausted_threads + 1
    end
    refusal = thread:get("first_refusal") or refusal
    for status, count in pairs(thread:get("statuses") or {}) do
      counted[status] = (counted[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counted) do
    parts[#parts + 1] = string.format('"%s":%d', status, count)
  end
  local errors = summary.errors
  io.write(string.format(
    'load-result {"requests":%d,"durationUs":%d,"connectErrors":%d,"readErrors":%d,' ..
    '"writeErrors":%d,"timeouts":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%.1f,' ..
    '"exhaustedThreads":%d,"statuses":{%s},"firstRefusal":%q}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, exhausted_threads, table.concat(parts, ","), refusal))
end
