// Error values of the integration-test support library (newswatch_itest).
//
// Every helper reports failure as a value: Status (no payload) or Result<T>. Nothing in the
// library throws, logs or exits; the test decides what a failure means, typically:
//
//   auto delivered = itest::produce(cfg, topic, messages);
//   ASSERT_TRUE(delivered.ok()) << delivered.error();
//
// Calling value() on a failed Result is a programming error in the test: it throws
// std::bad_variant_access, which GoogleTest reports as a failure of that test.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <variant>

#include <librdkafka/rdkafka.h>

namespace newswatch::itest {

// What went wrong, for a human (message) and for assertions (kafka_code, sys_errno).
struct Error {
  std::string message;
  // The librdkafka error behind the failure, if any (e.g. RD_KAFKA_RESP_ERR__AUTHENTICATION
  // for a rejected SASL login); RD_KAFKA_RESP_ERR_NO_ERROR when it is not a Kafka error.
  rd_kafka_resp_err_t kafka_code = RD_KAFKA_RESP_ERR_NO_ERROR;
  // errno of a failed system call, or 0.
  int sys_errno = 0;
};

inline std::ostream& operator<<(std::ostream& os, const Error& e) {
  return os << e.message;
}

// Success, or an Error. Default-constructed Status is success.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  // Precondition: !ok(). On success returns an empty Error.
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

inline std::ostream& operator<<(std::ostream& os, const Status& s) {
  return s.ok() ? os << "ok" : os << s.error();
}

// A T, or an Error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  // Precondition: ok() (otherwise throws std::bad_variant_access).
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // Precondition: !ok() (otherwise throws std::bad_variant_access).
  const Error& error() const { return std::get<1>(v_); }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace newswatch::itest
