// The one error vocabulary of the project: a Status (code + message) and Result<T> (a value or a
// Status). Both are plain values, so an error raised in a trainer on another host can be encoded by the
// runtime (code as an integer, message as a string) and reach the driver as the same value.
// Not an exception type: libraries return these; only programs (main) turn them into exits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ist {

// Stable numbers: they travel on the wire. Append only; never renumber.
enum class ErrorCode : std::int32_t {
  kOk = 0,
  kInvalidArgument = 1,   // a caller passed something that cannot work (bad widths, S > H, bad flag)
  kNotFound = 2,          // a file, actor, method or key that does not exist
  kIoError = 3,           // the OS refused a read or write
  kCorruptData = 4,       // bytes that do not parse: wrong magic, truncated file, malformed frame
  kUnknownMethod = 5,     // an actor was called with a method it does not register
  kDecodeFailure = 6,     // a message's header or arguments could not be decoded
  kActorDied = 7,         // the destination actor is gone (killed, or threw)
  kNodeDead = 8,          // the destination's node missed its heartbeat deadline or left
  kTimeout = 9,           // a deadline passed before a reply came
  kRemoteFailure = 10,    // the remote method ran and failed; the message says why
  kProtocolMismatch = 11, // a peer speaks another protocol version
  kTooLarge = 12,         // a message above the configured size cap
  kCancelled = 13,        // the caller or the system stopped waiting (shutdown)
  kInternal = 14,         // a broken invariant: a bug, reported instead of crashing
  kDiverged = 15,         // training became non-finite (loss or weights): the run cannot go on as configured
};

// Short lowercase name of a code, e.g. "timeout". Never null.
const char* error_code_name(ErrorCode code);

// Whether a call failed because the other side is gone (its node died or left, or the actor stopped).
inline bool is_peer_lost(ErrorCode code) { return code == ErrorCode::kNodeDead || code == ErrorCode::kActorDied; }

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }
  static Status invalid_argument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
  static Status not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Status io_error(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }
  static Status corrupt_data(std::string m) { return {ErrorCode::kCorruptData, std::move(m)}; }
  static Status unknown_method(std::string m) { return {ErrorCode::kUnknownMethod, std::move(m)}; }
  static Status decode_failure(std::string m) { return {ErrorCode::kDecodeFailure, std::move(m)}; }
  static Status actor_died(std::string m) { return {ErrorCode::kActorDied, std::move(m)}; }
  static Status node_dead(std::string m) { return {ErrorCode::kNodeDead, std::move(m)}; }
  static Status timeout(std::string m) { return {ErrorCode::kTimeout, std::move(m)}; }
  static Status remote_failure(std::string m) { return {ErrorCode::kRemoteFailure, std::move(m)}; }
  static Status protocol_mismatch(std::string m) { return {ErrorCode::kProtocolMismatch, std::move(m)}; }
  static Status too_large(std::string m) { return {ErrorCode::kTooLarge, std::move(m)}; }
  static Status cancelled(std::string m) { return {ErrorCode::kCancelled, std::move(m)}; }
  static Status internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
  static Status diverged(std::string m) { return {ErrorCode::kDiverged, std::move(m)}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "timeout: no reply from trainer-2 within 1000 ms", or "ok".
  std::string to_string() const {
    if (ok()) return "ok";
    return std::string(error_code_name(code_)) + ": " + message_;
  }
  // Returns a copy whose message is prefixed with context, e.g. "loading shard 3: ".
  Status with_context(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
  }
  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kIoError: return "io error";
    case ErrorCode::kCorruptData: return "corrupt data";
    case ErrorCode::kUnknownMethod: return "unknown method";
    case ErrorCode::kDecodeFailure: return "decode failure";
    case ErrorCode::kActorDied: return "actor died";
    case ErrorCode::kNodeDead: return "node dead";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kRemoteFailure: return "remote failure";
    case ErrorCode::kProtocolMismatch: return "protocol mismatch";
    case ErrorCode::kTooLarge: return "too large";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kDiverged: return "diverged";
  }
  return "unknown error code";
}

// A value of type T or the Status that explains why there is none.
// REQUIRES: value() only when ok(); status() is ok exactly when a value is present.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT: implicit by design
    if (std::get<Status>(state_).ok()) state_ = Status::internal("Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(state_);
  }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace ist

// Early return on error inside functions returning Status or Result<T>.
#define IST_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::ist::Status ist_status_ = (expr);        \
    if (!ist_status_.ok()) return ist_status_; \
  } while (0)

#define IST_CONCAT_INNER(a, b) a##b
#define IST_CONCAT(a, b) IST_CONCAT_INNER(a, b)
// IST_ASSIGN_OR_RETURN(auto x, make_x()); binds x to the value or returns the error.
#define IST_ASSIGN_OR_RETURN(lhs, expr) IST_ASSIGN_OR_RETURN_IMPL(IST_CONCAT(ist_result_, __LINE__), lhs, expr)
#define IST_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
