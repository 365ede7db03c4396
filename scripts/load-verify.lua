-- wrk script for scripts/load.sh: every request is POST /api/v1/verify with the same
-- seal. The QR text comes from the environment (CARTOUCHE_QR_TEXT), set by load.sh.

local qr = os.getenv("CARTOUCHE_QR_TEXT")
if qr == nil or qr == "" then
  error("CARTOUCHE_QR_TEXT is not set: run this through scripts/load.sh")
end
-- QR text is a URL or a bare compact JWS: base64url, dots, ':' and '/'. Nothing in it
-- needs escaping in JSON; refuse anything else rather than send a broken body.
if qr:find("[^%w%-_%.:/]") then
  error("CARTOUCHE_QR_TEXT has characters a seal never has")
end

wrk.method = "POST"
wrk.path = "/api/v1/verify"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"qr":"' .. qr .. '"}'
