#include "daemon/app/line_reader.h"

#include <cstring>

namespace newswatch::app {

namespace {
constexpr std::size_t kChunk = 1 << 20;
}

LineReader::LineReader(std::FILE* file, std::size_t max_line_bytes)
    : file_(file), max_line_(max_line_bytes), buf_(kChunk, '\0') {}

LineReader::~LineReader() {
  if (file_ != nullptr && file_ != stdin) std::fclose(file_);
}

bool LineReader::fill() {
  if (eof_) return false;
  const std::size_t n = std::fread(buf_.data(), 1, buf_.size(), file_);
  begin_ = 0;
  end_ = n;
  bytes_read_ += n;
  if (n == 0) eof_ = true;
  return n > 0;
}

bool LineReader::next(std::string_view& line, bool& oversized) {
  line_.clear();
  oversized = false;
  bool any = false;
  for (;;) {
    if (begin_ == end_ && !fill()) {
      if (!any) return false;
      break;
    }
    any = true;
    const char* start = buf_.data() + begin_;
    const auto* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    const std::size_t len = nl != nullptr ? static_cast<std::size_t>(nl - start) : end_ - begin_;
    // Fast path: the whole line is in the buffer and nothing was accumulated.
    if (nl != nullptr && line_.empty() && !oversized) {
      begin_ += len + 1;
      ++line_number_;
      line = std::string_view(start, len);
      if (line.size() > max_line_) {
        oversized = true;
        line = line.substr(0, max_line_ + 1);
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return true;
    }
    if (!oversized) {
      const std::size_t room = max_line_ + 1 - std::min(line_.size(), max_line_ + 1);
      line_.append(start, std::min(len, room));
      if (line_.size() > max_line_) oversized = true;
    }
    begin_ += len;
    if (nl != nullptr) {
      ++begin_;
      break;
    }
  }
  ++line_number_;
  line = line_;
  if (!oversized && !line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

}  // namespace newswatch::app
