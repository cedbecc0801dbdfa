// nw_gen: writes a generated rule directory or a JSON Lines file of synthetic articles.
//
//   nw_gen rules --count N [--seed S] [--profile mixed|near|regex|literal] [--per-file N] --out DIR
//   nw_gen articles --count N [--seed S] [--french 0.95] [--median-body BYTES] [--out FILE]
//
// The same arguments always produce the same bytes (see generator.h).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "benchmarks/gen/generator.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: nw_gen rules --count N [--seed S] [--profile mixed|near|regex|literal] "
               "[--per-file N] --out DIR\n"
               "       nw_gen articles --count N [--seed S] [--french F] [--median-body BYTES] "
               "[--out FILE]\n");
  return 2;
}

bool parse_u64(const char* s, std::uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(s, &end, 10);
  return end != s && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  using namespace newswatch::bench;
  if (argc < 2) return usage();
  const std::string_view cmd = argv[1];
  std::string out;
  RuleSetSpec rs;
  ArticleSpec as;
  bool seed_given = false;
  std::uint64_t seed = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) return usage();
    const char* v = argv[++i];
    std::uint64_t n = 0;
    if (a == "--count" && parse_u64(v, n)) {
      rs.rules = n;
      as.count = n;
    } else if (a == "--seed" && parse_u64(v, n)) {
      seed = n;
      seed_given = true;
    } else if (a == "--profile" && parse_profile(v, rs.profile)) {
    } else if (a == "--per-file" && parse_u64(v, n) && n > 0) {
      rs.rules_per_file = n;
    } else if (a == "--french") {
      as.french = std::atof(v);
    } else if (a == "--median-body" && parse_u64(v, n)) {
      as.median_body_bytes = n;
    } else if (a == "--out") {
      out = v;
    } else {
      return usage();
    }
  }
  if (cmd == "rules") {
    if (out.empty()) return usage();
    if (seed_given) rs.seed = seed;
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::remove_all(fs::path(out) / "lists", ec);
    fs::remove_all(fs::path(out) / "watchlists", ec);
    for (const auto& f : generate_rule_set(rs)) {
      const fs::path p = fs::path(out) / f.path;
      fs::create_directories(p.parent_path(), ec);
      std::ofstream o(p, std::ios::binary);
      o << f.content;
      if (!o) {
        std::fprintf(stderr, "nw_gen: cannot write %s\n", p.c_str());
        return 1;
      }
    }
    return 0;
  }
  if (cmd == "articles") {
    if (seed_given) as.seed = seed;
    std::FILE* f = out.empty() ? stdout : std::fopen(out.c_str(), "wb");
    if (f == nullptr) {
      std::fprintf(stderr, "nw_gen: cannot write %s\n", out.c_str());
      return 1;
    }
    for (const auto& line : generate_articles(as)) {
      std::fwrite(line.data(), 1, line.size(), f);
      std::fputc('\n', f);
    }
    if (f != stdout) std::fclose(f);
    return 0;
  }
  return usage();
}
