#include "drive/errors.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace gdmount::drive {
namespace {

using std::chrono::milliseconds;

// Google's error body shape (protocol guide section 10.1).
std::string GoogleBody(int http, const std::string& reason,
                       const std::string& message = "Some message.") {
  return "{\"error\":{\"code\":" + std::to_string(http) + ",\"message\":\"" +
         message + "\",\"errors\":[{\"domain\":\"global\",\"reason\":\"" +
         reason + "\",\"message\":\"" + message + "\"}]}}";
}

// A clock frozen at a given wall time; only SystemNow() is used.
class FixedClock : public Clock {
 public:
  explicit FixedClock(int64_t unix_ms) : unix_ms_(unix_ms) {}
  std::chrono::steady_clock::time_point SteadyNow() override { return {}; }
  std::chrono::system_clock::time_point SystemNow() override {
    return std::chrono::system_clock::time_point(milliseconds(unix_ms_));
  }
  void SleepFor(std::chrono::nanoseconds) override {}

 private:
  int64_t unix_ms_;
};

struct Row {
  int http;
  const char* reason;
  StatusCode code;
  bool transient;
};

// Every reason of protocol guide section 10.2, plus the extra ones the
// mapping names.
const std::vector<Row>& Table() {
  static const std::vector<Row> kRows = {
      {400, "badRequest", StatusCode::kInvalidArgument, false},
      {400, "invalid", StatusCode::kInvalidArgument, false},
      {400, "invalidParameter", StatusCode::kInvalidArgument, false},
      {400, "someFutureReason", StatusCode::kInvalidArgument, false},
      {401, "authError", StatusCode::kUnauthenticated, false},
      {403, "userRateLimitExceeded", StatusCode::kRateLimited, true},
      {403, "rateLimitExceeded", StatusCode::kRateLimited, true},
      {429, "rateLimitExceeded", StatusCode::kRateLimited, true},
      {429, "", StatusCode::kRateLimited, true},
      {429, "someFutureReason", StatusCode::kRateLimited, true},
      {403, "sharingRateLimitExceeded", StatusCode::kRateLimited, true},
      {403, "dailyLimitExceeded", StatusCode::kRateLimited, false},
      {403, "insufficientFilePermissions", StatusCode::kPermissionDenied,
       false},
      {403, "appNotAuthorizedToFile", StatusCode::kPermissionDenied, false},
      {403, "domainPolicy", StatusCode::kPermissionDenied, false},
      {403, "storageQuotaExceeded", StatusCode::kQuotaExceeded, false},
      {403, "quotaExceeded", StatusCode::kQuotaExceeded, false},
      {403, "teamDriveFileLimitExceeded", StatusCode::kQuotaExceeded, false},
      {403, "numChildrenInNonRootLimitExceeded", StatusCode::kQuotaExceeded,
       false},
      {403, "activeItemCreationLimitExceeded", StatusCode::kQuotaExceeded,
       false},
      {403, "myDriveHierarchyDepthLimitExceeded", StatusCode::kInvalidArgument,
       false},
      {403, "teamDriveHierarchyTooDeep", StatusCode::kInvalidArgument, false},
      {403, "cannotAddParent", StatusCode::kInvalidArgument, false},
      {403, "teamDrivesParentLimit", StatusCode::kInvalidArgument, false},
      {403, "fieldNotWritable", StatusCode::kInvalidArgument, false},
      {403, "fileNotDownloadable", StatusCode::kNotSupported, false},
      {403, "fileNotExportable", StatusCode::kNotSupported, false},
      {403, "exportSizeLimitExceeded", StatusCode::kNotSupported, false},
      {403, "downloadQuotaExceeded", StatusCode::kUnavailable, false},
      {403, "cannotDownloadAbusiveFile", StatusCode::kPermissionDenied, false},
      {403, "teamDriveMembershipRequired", StatusCode::kPermissionDenied,
       false},
      {403, "fileOwnerNotMemberOfTeamDrive", StatusCode::kPermissionDenied,
       false},
      {403, "teamDrivesFolderMoveInNotSupported", StatusCode::kPermissionDenied,
       false},
      {403, "cannotCopyFile", StatusCode::kPermissionDenied, false},
      {403, "someFutureReason", StatusCode::kPermissionDenied, false},
      {403, "", StatusCode::kPermissionDenied, false},
      {404, "notFound", StatusCode::kNotFound, false},
      {410, "deleted", StatusCode::kNotFound, false},
      {408, "", StatusCode::kUnavailable, true},
      {409, "duplicate", StatusCode::kAlreadyExists, false},
      {412, "conditionNotMet", StatusCode::kPreconditionFailed, false},
      {416, "requestedRangeNotSatisfiable", StatusCode::kInvalidArgument,
       false},
      {500, "backendError", StatusCode::kUnavailable, true},
      {500, "internalError", StatusCode::kUnavailable, true},
      {502, "badGateway", StatusCode::kUnavailable, true},
      {503, "backendError", StatusCode::kUnavailable, true},
      {504, "", StatusCode::kUnavailable, true},
      {599, "", StatusCode::kUnavailable, true},
      {301, "", StatusCode::kIo, false},
      {405, "", StatusCode::kIo, false},
      {413, "", StatusCode::kIo, false},
  };
  return kRows;
}

TEST_CASE("StatusFromHttp maps every documented reason", "[unit]") {
  for (const Row& row : Table()) {
    INFO(row.http << " " << row.reason);
    const Status s = StatusFromHttp(row.http, GoogleBody(row.http, row.reason));
    CHECK(s.code() == row.code);
    CHECK(IsTransient(s) == row.transient);
    CHECK(s.http_status() == row.http);
    CHECK_FALSE(s.retry_after().has_value());
    if (*row.reason != '\0') {
      CHECK(s.message() ==
            std::to_string(row.http) + " " + row.reason + ": Some message.");
      CHECK(HasReason(s, row.reason));
    } else {
      CHECK(s.message() == std::to_string(row.http) + ": Some message.");
    }
  }
}

TEST_CASE("StatusFromHttp: 2xx is OK", "[unit]") {
  for (int http : {200, 201, 204, 206, 299}) {
    INFO(http);
    CHECK(StatusFromHttp(http, "garbage", "10").ok());
  }
}

TEST_CASE("IsDailyLimit and IsDownloadQuota are not transient", "[unit]") {
  const Status daily =
      StatusFromHttp(403, GoogleBody(403, "dailyLimitExceeded"));
  CHECK(IsDailyLimit(daily));
  CHECK_FALSE(IsTransient(daily));
  const Status user =
      StatusFromHttp(403, GoogleBody(403, "userRateLimitExceeded"));
  CHECK_FALSE(IsDailyLimit(user));
  CHECK(IsTransient(user));

  const Status dl =
      StatusFromHttp(403, GoogleBody(403, "downloadQuotaExceeded"));
  CHECK(IsDownloadQuota(dl));
  CHECK_FALSE(IsTransient(dl));
  CHECK_FALSE(IsDownloadQuota(StatusFromHttp(503, GoogleBody(503, ""))));
}

TEST_CASE("IsTransient on statuses not made from HTTP", "[unit]") {
  CHECK_FALSE(IsTransient(Status::Ok()));
  CHECK(IsTransient(Status(StatusCode::kUnavailable, "connect timeout")));
  CHECK(IsTransient(Status(StatusCode::kRateLimited, "local pacer")));
  CHECK_FALSE(IsTransient(Status(StatusCode::kIo, "connection reset")));
  CHECK_FALSE(IsTransient(Status(StatusCode::kUnauthenticated, "x")));
  CHECK_FALSE(IsTransient(Status(StatusCode::kNotFound, "x")));
  // A message that merely mentions the reason is not the daily limit.
  CHECK(IsTransient(Status(StatusCode::kRateLimited, "dailyLimitExceeded")));
}

TEST_CASE("403 with only a gRPC status RESOURCE_EXHAUSTED", "[unit]") {
  const std::string body =
      R"({"error":{"code":403,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}})";
  const Status s = StatusFromHttp(403, body);
  CHECK(s.code() == StatusCode::kRateLimited);
  CHECK(IsTransient(s));
  CHECK(s.message() == "403: Quota exceeded");
}

TEST_CASE("Retry-After as delta-seconds", "[unit]") {
  const Status s =
      StatusFromHttp(429, GoogleBody(429, "rateLimitExceeded"), "7");
  REQUIRE(s.retry_after().has_value());
  CHECK(*s.retry_after() == milliseconds(7000));
  CHECK(*StatusFromHttp(503, "", "0").retry_after() == milliseconds(0));
  CHECK(*StatusFromHttp(503, "", " 3 ").retry_after() == milliseconds(3000));
  // Absurd values are clamped instead of overflowing.
  CHECK(*StatusFromHttp(503, "", "99999999999999999999999").retry_after() ==
        std::chrono::duration_cast<milliseconds>(kMaxRetryAfter));
  for (const char* bad : {"-1", "1.5", "soon", "5s", "0x10", " "}) {
    INFO(bad);
    CHECK_FALSE(StatusFromHttp(503, "", bad).retry_after().has_value());
  }
}

TEST_CASE("Retry-After as an HTTP-date", "[unit]") {
  // 1994-11-06T08:49:00Z
  FixedClock clock(784111740000);
  const Status s =
      StatusFromHttp(503, "", "Sun, 06 Nov 1994 08:49:37 GMT", &clock);
  REQUIRE(s.retry_after().has_value());
  CHECK(*s.retry_after() == milliseconds(37000));
  // In the past: retry now.
  CHECK(*StatusFromHttp(503, "", "Sun, 06 Nov 1994 08:48:00 GMT", &clock)
             .retry_after() == milliseconds(0));
  // Leap day.
  FixedClock leap(1709251199000);  // 2024-02-29T23:59:59Z
  CHECK(*StatusFromHttp(503, "", "Fri, 01 Mar 2024 00:00:09 GMT", &leap)
             .retry_after() == milliseconds(10000));
  for (const char* bad :
       {"Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sunday, 06-Nov-94 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT"}) {
    INFO(bad);
    CHECK_FALSE(StatusFromHttp(503, "", bad, &clock).retry_after().has_value());
  }
}

TEST_CASE("Error body without an errors array", "[unit]") {
  const std::string body =
      R"({"error":{"code":404,"message":"File not found: abc.","status":"NOT_FOUND"}})";
  const Status s = StatusFromHttp(404, body);
  CHECK(s.code() == StatusCode::kNotFound);
  CHECK(s.message() == "404: File not found: abc.");
  CHECK(ErrorReason(body).empty());
  CHECK(ParseErrorBody(body).status == "NOT_FOUND");
  // errors present but empty, or of the wrong type.
  CHECK(StatusFromHttp(403, R"({"error":{"errors":[]}})").code() ==
        StatusCode::kPermissionDenied);
  CHECK(StatusFromHttp(403, R"({"error":{"errors":{"reason":"x"}}})").code() ==
        StatusCode::kPermissionDenied);
  CHECK(StatusFromHttp(403, R"({"error":{"errors":[{"reason":7}]}})").code() ==
        StatusCode::kPermissionDenied);
}

TEST_CASE("HTML body from a proxy on 502", "[unit]") {
  const std::string html =
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\n<body>"
      "\t<center><h1>502 Bad Gateway</h1></center></body></html>";
  const Status s = StatusFromHttp(502, html);
  CHECK(s.code() == StatusCode::kUnavailable);
  CHECK(IsTransient(s));
  CHECK(s.message() ==
        "502: <html> <head><title>502 Bad Gateway</title></head> <body> "
        "<center><h1>502 Bad Gateway</h1></center></body></html>");
}

TEST_CASE("Empty and malformed bodies", "[unit]") {
  const Status empty = StatusFromHttp(503, "");
  CHECK(empty.code() == StatusCode::kUnavailable);
  CHECK(empty.message() == "503: (empty body)");
  CHECK(ErrorReason("").empty());

  for (const char* body : {"{", "{\"error\":", "[1,2", "null", "42", "\"x\"",
                           "{\"error\":null}", "{\"error\":[1]}", "\xff\xfe"}) {
    INFO(body);
    const Status s = StatusFromHttp(403, body);
    CHECK(s.code() == StatusCode::kPermissionDenied);
    CHECK(ErrorReason(body).empty());
  }
  // Deep nesting must neither crash nor throw.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  CHECK(StatusFromHttp(500, deep).code() == StatusCode::kUnavailable);
  CHECK(StatusFromHttp(500, std::string(100000, '[')).code() ==
        StatusCode::kUnavailable);
}

TEST_CASE("OAuth-style error body", "[unit]") {
  const std::string body =
      R"({"error":"invalid_token","error_description":"Invalid Credentials"})";
  const Status s = StatusFromHttp(401, body);
  CHECK(s.code() == StatusCode::kUnauthenticated);
  CHECK(s.message() == "401 invalid_token: Invalid Credentials");
  CHECK(ErrorReason(body) == "invalid_token");
  CHECK(ErrorReason(R"({"error":"invalid_grant"})") == "invalid_grant");
  CHECK(StatusFromHttp(400, R"({"error":"invalid_grant"})").message() ==
        "400 invalid_grant: {\"error\":\"invalid_grant\"}");
}

TEST_CASE("Huge server message is truncated and sanitised", "[unit]") {
  const std::string huge(10000, 'x');
  const Status s = StatusFromHttp(500, GoogleBody(500, "backendError", huge));
  CHECK(s.message() ==
        "500 backendError: " + std::string(kMaxServerMessage, 'x') + "...");

  // Truncation never splits a UTF-8 sequence: 'e' + 100 x "é" (2 bytes).
  std::string accents = "e";
  for (int i = 0; i < 100; ++i) accents += "\xc3\xa9";
  const Status u = StatusFromHttp(500, GoogleBody(500, "x", accents));
  const std::string expected =
      "500 x: " + accents.substr(0, kMaxServerMessage - 1) + "...";
  CHECK(u.message() == expected);

  // Control characters are dropped; JSON escapes \u0007 and \n.
  const std::string body =
      R"({"error":{"message":"a\u0007b\nc\u001bd\u007f","errors":[{"reason":"r"}]}})";
  CHECK(StatusFromHttp(400, body).message() == "400 r: ab cd");
  // Malformed UTF-8 (here: a bare continuation byte and a cut-off
  // sequence) never reaches a log line.
  CHECK(StatusFromHttp(502,
                       "a\x80"
                       "b\xc3")
            .message() == "502: a?b?");
}

TEST_CASE("416 reports requestedRangeNotSatisfiable", "[unit]") {
  const Status bare = StatusFromHttp(416, "");
  CHECK(bare.code() == StatusCode::kInvalidArgument);
  CHECK(HasReason(bare, "requestedRangeNotSatisfiable"));
  CHECK(bare.message() == "416 requestedRangeNotSatisfiable: (empty body)");
}

TEST_CASE("ParseErrorBody exposes reason, location and domain", "[unit]") {
  const std::string body = R"({"error":{"code":400,"message":"Invalid Value",
      "errors":[{"domain":"global","reason":"invalid","message":"Invalid Value",
                 "locationType":"parameter","location":"pageToken"},
                {"reason":"second"}]}})";
  const ErrorDetails d = ParseErrorBody(body);
  CHECK(d.reason == "invalid");
  CHECK(d.location == "pageToken");
  CHECK(d.domain == "global");
  CHECK(d.message == "Invalid Value");
  CHECK(ErrorReason(body) == "invalid");
  const Status s = StatusFromHttp(400, body);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(HasReason(s, "invalid"));
  CHECK_FALSE(HasReason(s, "inv"));
  CHECK_FALSE(HasReason(s, "second"));

  // Top-level message missing: errors[0].message is used.
  CHECK(ParseErrorBody(R"({"error":{"errors":[{"message":"m"}]}})").message ==
        "m");
}

}  // namespace
}  // namespace gdmount::drive
