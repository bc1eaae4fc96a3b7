-- benchmarks/intake.py's light client: each wrk thread posts its own pre-signed deliveries, each once.
-- The file named by WRK_REQUESTS holds one request a line: signature, timestamp and body, tab-separated;
-- thread k of n takes lines k, k+n, k+2n, ... (so no ticket is sent twice).
local threads, counter = {}, 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local total = tonumber(os.getenv("WRK_THREADS"))
  local mine, n = {}, 0
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    if n % total == index then
      local sig, stamp, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(mine, wrk.format("POST", "/webhooks/zendesk", {
        ["Content-Type"] = "application/json; charset=utf-8",
        ["X-Zendesk-Webhook-Signature"] = sig,
        ["X-Zendesk-Webhook-Signature-Timestamp"] = stamp,
      }, body))
    end
    n = n + 1
  end
  requests, i, statuses = mine, 0, {}
end

function request()
  i = i + 1
  if i > #requests then
    wrk.thread:stop()
    i = #requests
  end
  return requests[i]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local codes = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do codes[k] = (codes[k] or 0) + v end
  end
  io.write(string.format("RESULT %d %d %.3f %.3f\n", summary.requests, summary.duration,
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  for k, v in pairs(codes) do io.write(string.format("STATUS %d %d\n", k, v)) end
end
