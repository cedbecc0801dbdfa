// Reads JSON Lines input (a file or stdin) line by line with a bound on line length, so a
// huge or endless line cannot exhaust memory: the part beyond the bound is skipped and the
// line is reported as oversized.
//
// Thread-safety: one reader per thread. Errors: read errors are reported by error().
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace newswatch::app {

class LineReader {
 public:
  // Takes ownership of `file` (closed on destruction unless it is stdin).
  LineReader(std::FILE* file, std::size_t max_line_bytes);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Next line without its "\n" (and "\r\n"). False at end of input. `oversized` is set when
  // the line was longer than the bound; `line` then holds only its first max_line_bytes + 1
  // bytes (enough for the decoder to refuse it as too large).
  bool next(std::string_view& line, bool& oversized);
  std::size_t line_number() const noexcept { return line_number_; }
  std::size_t bytes_read() const noexcept { return bytes_read_; }
  bool error() const noexcept { return std::ferror(file_) != 0; }

 private:
  bool fill();
  std::FILE* file_;
  std::size_t max_line_;
  std::string buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::string line_;
  std::size_t line_number_ = 0;
  std::size_t bytes_read_ = 0;
  bool eof_ = false;
};

}  // namespace newswatch::app
