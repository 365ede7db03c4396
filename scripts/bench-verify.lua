-- wrk script for scripts/bench-verify.sh. One script, three modes (BENCH_MODE):
--
--   issue   POST /api/v1/certificates with the application in BENCH_BODY_FILE, its
--           "@@N@@" replaced by a number unique to the request (so every application is
--           distinct and nothing can be served from a cache); the QR text of each 201 is
--           appended to BENCH_SEALS_DIR/<thread>.txt. Each thread stops after
--           BENCH_PER_THREAD answers.
--   cold    POST /api/v1/verify with the seals in BENCH_SEALS_DIR/<thread>.txt, each
--           sent once; the thread stops when its file is used up.
--   warm    POST /api/v1/verify cycling over the first BENCH_WARM_SEALS seals of each
--           file; BENCH_DELAY_MS (optional) waits between a connection's requests, to run
--           below the peak rate.
--   mixed   (scripts/soak) as warm, but every tenth request is an issuance as in issue
--           (BENCH_BODY_FILE, BENCH_TOKEN); an answer is right if it is a 201 with its QR
--           text or a 200 VALID verdict.
--
-- Rates are measured here, from the first request sent to the last answer received, with
-- LuaJIT's FFI clock: wrk's own requests/s divides by the whole -d duration, also when the
-- threads stop early. done() prints one line that bench-verify.sh reads:
--   RESULT answers=<n> ok=<n> bad=<n> seconds=<s> rate=<n/s> p50_ms= p90_ms= p99_ms=
-- where ok counts the answers with the expected status (201 or 200 with "VALID").

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local function now()
  local ts = ffi.new("bench_timespec")
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local mode = os.getenv("BENCH_MODE")
local seals_dir = os.getenv("BENCH_SEALS_DIR")
if mode ~= "issue" and mode ~= "cold" and mode ~= "warm" and mode ~= "mixed" then
  error("BENCH_MODE must be issue, cold, warm or mixed: run this through scripts/bench-verify.sh or scripts/soak")
end
if seals_dir == nil or seals_dir == "" then
  error("BENCH_SEALS_DIR is not set")
end

local threads = {}
local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end

-- Per thread (each has its own Lua state).
local body_template, out, seals, cursor, limit, delay_ms, auth
answers, ok, bad, first, last = 0, 0, 0, 0, 0

local function read_lines(path)
  local lines = {}
  local file = io.open(path, "r")
  if file == nil then
    return lines
  end
  for line in file:lines() do
    if line ~= "" then
      lines[#lines + 1] = line
    end
  end
  file:close()
  return lines
end

function init(args)
  local path = seals_dir .. "/" .. id .. ".txt"
  delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
  if mode == "issue" or mode == "mixed" then
    local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "r"))
    body_template = file:read("*a")
    file:close()
    auth = "Bearer " .. assert(os.getenv("BENCH_TOKEN"), "BENCH_TOKEN is not set")
    limit = tonumber(os.getenv("BENCH_PER_THREAD"))
    if mode == "issue" then
      out = assert(io.open(path, "a"))
      out:setvbuf("line")
    end
  end
  if mode ~= "issue" then
    seals = read_lines(path)
    if #seals == 0 then
      error("no seals in " .. path)
    end
    if mode == "warm" or mode == "mixed" then
      local warm = tonumber(os.getenv("BENCH_WARM_SEALS") or "100")
      while #seals > warm do
        table.remove(seals)
      end
    end
    limit = #seals
  end
  cursor = 0
end

function delay()
  return delay_ms
end

function request()
  cursor = cursor + 1
  if first == 0 then
    first = now()
  end
  if mode == "issue" or (mode == "mixed" and cursor % 10 == 0) then
    local body = body_template:gsub("@@N@@", id .. "-" .. cursor .. "-" .. os.time())
    return wrk.format("POST", "/api/v1/certificates",
      { ["Content-Type"] = "application/json", ["Authorization"] = auth }, body)
  end
  local index
  if mode == "cold" then
    -- Past the end (requests already in flight when the thread stops) repeats the last
    -- seal; those answers are not counted, see response().
    index = math.min(cursor, #seals)
  else
    index = (cursor - 1) % #seals + 1
  end
  return wrk.format("POST", "/api/v1/verify", { ["Content-Type"] = "application/json" },
    '{"qr":"' .. seals[index] .. '"}')
end

-- Counts an unexpected answer; the first three are kept for the report.
local function keep_bad(status, body)
  bad = bad + 1
  if bad <= 3 then
    local file = io.open(seals_dir .. "/" .. id .. ".bad", "a")
    if file then
      file:write(status, " ", body, "\n")
      file:close()
    end
  end
end

function response(status, headers, body)
  if mode == "cold" and answers >= limit then
    return
  end
  answers = answers + 1
  last = now()
  if mode == "issue" then
    local qr = status == 201 and body:match('"qr_text"%s*:%s*"([^"]+)"')
    if qr then
      ok = ok + 1
      out:write(qr, "\n")
    else
      keep_bad(status, body)
    end
  elseif mode == "mixed" and status == 201 and body:find('"qr_text"', 1, true) then
    ok = ok + 1
  elseif status == 200 and body:find('"verdict":"VALID"', 1, true) then
    ok = ok + 1
  else
    keep_bad(status, body)
  end
  if (mode == "issue" or mode == "cold") and answers >= limit then
    if out then
      out:flush()
    end
    -- bench-verify.sh waits for this marker, then interrupts wrk (whose main thread
    -- would otherwise sleep out the whole -d duration).
    local marker = io.open(seals_dir .. "/" .. id .. ".done", "w")
    if marker then
      marker:close()
    end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local total_answers, total_ok, total_bad, start, finish = 0, 0, 0, math.huge, 0
  for _, thread in ipairs(threads) do
    total_answers = total_answers + thread:get("answers")
    total_ok = total_ok + thread:get("ok")
    total_bad = total_bad + thread:get("bad")
    local f, l = thread:get("first"), thread:get("last")
    if f > 0 and f < start then
      start = f
    end
    if l > finish then
      finish = l
    end
  end
  local seconds = finish - start
  if seconds <= 0 then
    seconds = 1e-9
  end
  io.write(string.format(
    "RESULT answers=%d ok=%d bad=%d seconds=%.3f rate=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f errors=%d\n",
    total_answers, total_ok, total_bad, seconds, total_answers / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
