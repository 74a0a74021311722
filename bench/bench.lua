-- keygate bench: one wrk script for every scenario, driven by environment variables, so the bare baselines and
-- keygate see byte-for-byte the same request shapes.
--
--   KG_MODE         forward (default): GET KG_PATH with X-Forwarded-Method/Proto/Host/Uri (Traefik/Caddy subrequest)
--                   proxy: GET <uri> with Host: <host> (a client in front of a real proxy)
--   KG_PATH         request path in forward mode (default /auth)
--   KG_TARGETS      file of "host<TAB>uri" lines, cycled (default: KG_HOST + KG_URI)
--   KG_TOKENS       file of credentials, one per line, cycled in order from KG_OFFSET (none: no credential header)
--   KG_CRED_HEADER  header carrying the credential (default Authorization)
--   KG_CRED_PREFIX  prefix of the credential (default "Bearer "; "none" for no prefix, e.g. a Cookie header)
--   KG_EXPECT       the only acceptable status (default 200); anything else is counted as unexpected
--   KG_LIMIT        stop after this many responses and print KGLIMIT (0 = run for the whole duration)
--
-- done() prints one line `KGBENCH {json}` with throughput, latency percentiles (µs) and status counts.

local function env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end

-- Per-thread state (globals, so done() can read them with thread:get).
tokens = {}
ntok = 0
targets = {}
ntgt = 0
sent = 0
responses = 0
unexpected = 0
wrapped = 0
statuses = {}

function init(args)
  local tokenFile = env("KG_TOKENS", nil)
  if tokenFile ~= nil then
    for line in io.lines(tokenFile) do
      if line ~= "" then ntok = ntok + 1; tokens[ntok] = line end
    end
    if ntok == 0 then error("no tokens in " .. tokenFile) end
  end
  local targetFile = env("KG_TARGETS", nil)
  if targetFile ~= nil then
    for line in io.lines(targetFile) do
      local host, uri = line:match("^([^\t]+)\t(.+)$")
      if host ~= nil then ntgt = ntgt + 1; targets[ntgt] = { host, uri } end
    end
  else
    ntgt = 1
    targets[1] = { env("KG_HOST", "app.bench.test"), env("KG_URI", "/") }
  end
  if ntgt == 0 then error("no targets") end
  offset = tonumber(env("KG_OFFSET", "0"))
  limit = tonumber(env("KG_LIMIT", "0"))
  expect = tonumber(env("KG_EXPECT", "200"))
  mode = env("KG_MODE", "forward")
  path = env("KG_PATH", "/auth")
  credHeader = env("KG_CRED_HEADER", "Authorization")
  credPrefix = env("KG_CRED_PREFIX", "Bearer ")
  if credPrefix == "none" then credPrefix = "" end
end

function request()
  local i = sent
  sent = sent + 1
  local h = {}
  if ntok > 0 then
    local k = offset + i
    if k >= ntok then wrapped = wrapped + 1 end
    h[credHeader] = credPrefix .. tokens[(k % ntok) + 1]
  end
  local t = targets[(i % ntgt) + 1]
  if mode == "proxy" then
    h["Host"] = t[1]
    return wrk.format("GET", t[2], h)
  end
  h["X-Forwarded-Method"] = "GET"
  h["X-Forwarded-Proto"] = "https"
  h["X-Forwarded-Host"] = t[1]
  h["X-Forwarded-Uri"] = t[2]
  return wrk.format("GET", path, h)
end

function response(status, headers, body)
  responses = responses + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status ~= expect then unexpected = unexpected + 1 end
  if limit > 0 and responses == limit then
    io.write("KGLIMIT\n")
    io.flush()
    wrk.thread:stop()
  end
end

threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local u, r, w, s = 0, 0, 0, 0
  local st = {}
  for _, t in ipairs(threads) do
    u = u + t:get("unexpected")
    r = r + t:get("responses")
    w = w + t:get("wrapped")
    s = s + t:get("sent")
    for k, v in pairs(t:get("statuses")) do st[k] = (st[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(st) do table.insert(parts, string.format('"%s":%d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'KGBENCH {"requests":%d,"duration_us":%d,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"p999_us":%.1f,"max_us":%.1f,"mean_us":%.1f,' ..
    '"responses":%d,"unexpected":%d,"wrapped":%d,"sent":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean, r, u, w, s, e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end
