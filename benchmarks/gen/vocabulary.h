// Word tables for the benchmark generator: watchlist vocabularies (in rule-language leaf
// syntax), real and synthetic entity names, and French/English filler for synthetic articles.
//
// Entries of Topic::entries and Entity::aliases are written as list entries of the rule
// language (RULES-SPEC §3): `banque` (term), `assureur*` (prefix), `"taux d'intérêt"`
// (phrase), `=BCE` (exact). surface_form() turns one into text an article would contain.
//
// Thread-safety: the tables are immutable static data.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace newswatch::bench {

// A thematic keyword list, French and English entries mixed (as analysts write them).
struct Topic {
  std::string_view name;
  std::span<const std::string_view> entries;
};

// A real organisation or person: aliases in leaf syntax; the first alias is the display form.
struct Entity {
  std::span<const std::string_view> aliases;
};

std::span<const Topic> topics();
std::span<const Topic> geographies();
std::span<const Entity> real_entities();
std::span<const std::string_view> acronyms();  // exact acronyms: "=BCE", "=FMI", ...
std::span<const std::string_view> first_names();
std::span<const std::string_view> last_names();
std::span<const std::string_view> name_syllables();    // for synthetic company names
std::span<const std::string_view> company_suffixes();  // "Industries", "Groupe", ...
std::span<const std::string_view> french_filler();     // frequent French words
std::span<const std::string_view> english_filler();
std::span<const std::string_view> french_sources();
std::span<const std::string_view> english_sources();

// Text an article would contain for a leaf written in rule syntax: quotes, '=' and a trailing
// '*' removed; for a prefix, `suffix` is appended (e.g. "assureur*" + "s").
std::string surface_form(std::string_view leaf, std::string_view suffix = {});

}  // namespace newswatch::bench
