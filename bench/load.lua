-- wrk script for bench/run.py.
--   wrk ... -s bench/load.lua URL -- sign RUN   each request signs as a new person
--   wrk ... -s bench/load.lua URL -- sign RUN patient   and waits out a 503's Retry-After on
--                                                  that connection, as the widget and form do
--   wrk ... -s bench/load.lua URL -- get        plain GETs
-- Prints one JSON line at the end: requests, seconds, statuses, latency percentiles.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "get"
  run = args[2] or "0"
  patient = args[3] == "patient"
  counter = 0
  statuses = {}
  pause = 0
end

function request()
  if mode ~= "sign" then
    return wrk.format("GET")
  end
  counter = counter + 1
  local n = id * 100000000 + counter
  local body = string.format(
    '{"name":"Bench Signer","email":"s%d.r%s@bench.example.org","country":"KZ",'
      .. '"city":"Almaty","public":true,"comment":"In solidarity with the workers."}',
    n, run)
  -- As behind the TLS proxy: every signer on an address of their own
  -- (IPv6 documentation prefix: a header's text, never a destination).
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = string.format("2001:db8:%x:%x::%x", id, math.floor(n / 65536) % 65536, n % 65536),
  }
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if patient and status == 503 then
    pause = (tonumber(headers["Retry-After"]) or 1) * 1000
  end
end

-- Called for the connection whose response() came just before: its next request waits.
function delay()
  local ms = pause
  pause = 0
  return ms
end

function done(summary, latency, requests)
  local totals, counts = {}, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  for status, n in pairs(totals) do
    counts[#counts + 1] = string.format('"%d":%d', status, n)
  end
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"socket_errors":%d,"p50_ms":%.3f,"p99_ms":%.3f,"statuses":{%s}}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, table.concat(counts, ",")))
end
