-- Shared by the wrk scripts: file reading, per-thread seeding, and a JSON summary line.
local common = {}

function common.read_file(path)
  local file = assert(io.open(path, "rb"))
  local data = file:read("*a")
  file:close()
  return data
end

function common.read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if #line > 0 then
      lines[#lines + 1] = line
    end
  end
  assert(#lines > 0, "no ids in " .. path)
  return lines
end

-- wrk calls setup() once per thread in the main Lua state, before that thread's init().
local next_thread = 0
function common.setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_number", next_thread)
end

function common.seed()
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
end

-- One line that the runner parses: counts, errors and latency percentiles in microseconds.
function common.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end

return common
