package io.newswatch.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.PerFieldAnalyzerWrapper;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.util.ElisionFilter;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.memory.MemoryIndex;
import org.apache.lucene.monitor.MatchingQueries;
import org.apache.lucene.monitor.Monitor;
import org.apache.lucene.monitor.MonitorQuery;
import org.apache.lucene.monitor.MultipassTermFilteredPresearcher;
import org.apache.lucene.monitor.Presearcher;
import org.apache.lucene.monitor.QueryMatch;
import org.apache.lucene.monitor.RegexpQueryHandler;
import org.apache.lucene.monitor.TermFilteredPresearcher;
import org.apache.lucene.queries.spans.SpanMultiTermQueryWrapper;
import org.apache.lucene.queries.spans.SpanNearQuery;
import org.apache.lucene.queries.spans.SpanOrQuery;
import org.apache.lucene.queries.spans.SpanQuery;
import org.apache.lucene.queries.spans.SpanTermQuery;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.MultiTermQuery;
import org.apache.lucene.search.PhraseQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.RegexpQuery;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;

/**
 * Peer (c) of the newswatch benchmarks: the rule set translated to Lucene queries and matched
 * with Lucene Monitor, one article at a time, on one thread.
 *
 * <p>Usage: {@code LuceneMonitorPeer --rules-json FILE --corpus FILE [--limit N] [--passes K]
 * [--pairs OUT.tsv] [--nw-pairs FILE --probe-out OUT.jsonl [--probe-articles N]]}
 *
 * <p>Prints one JSON object with the same fields as nw_e2e (articles/s, MB/s of title+body text,
 * p50/p99 latency, register time, peak RSS). With --nw-pairs, the (rule, article) pairs where it
 * disagrees with newswatch are probed leaf by leaf (see benchmarks/README.md, "Agreement").
 *
 * <p>Analysis: StandardTokenizer (UAX#29 words), ElisionFilter with the French elided articles
 * (l' d' qu' ...), LowerCaseFilter, ASCIIFoldingFilter on the fields "title" and "body"; the same
 * without lower-casing and folding on "title_exact" and "body_exact" for exact leaves and
 * case-sensitive regexes. Presearcher: TermFilteredPresearcher with RegexpQueryHandler.
 */
public final class LuceneMonitorPeer {
  static final String[] TEXT_FIELDS = {"title", "body"};
  static final CharArraySet ARTICLES =
      new CharArraySet(
          Arrays.asList(
              "l", "m", "t", "qu", "n", "s", "j", "d", "c", "jusqu", "quoiqu", "lorsqu", "puisqu"),
          true);
  static final ObjectMapper JSON = new ObjectMapper();
  /** Set from --prefix regexp|prefix before any query is built. */
  static boolean PREFIX_AS_REGEXP = true;

  /** Folded view: UAX#29 words, elisions removed, lower case, accents folded. */
  static final class FoldingAnalyzer extends Analyzer {
    @Override
    public int getPositionIncrementGap(String field) {
      return FIELD_GAP;
    }

    @Override
    protected TokenStreamComponents createComponents(String field) {
      Tokenizer t = new StandardTokenizer();
      TokenStream s = new ElisionFilter(t, ARTICLES);
      s = new LowerCaseFilter(s);
      s = new ASCIIFoldingFilter(s);
      return new TokenStreamComponents(t, s);
    }
  }

  /** Exact view: UAX#29 words, elisions removed, case and accents kept. */
  static final class ExactAnalyzer extends Analyzer {
    @Override
    public int getPositionIncrementGap(String field) {
      return FIELD_GAP;
    }

    @Override
    protected TokenStreamComponents createComponents(String field) {
      Tokenizer t = new StandardTokenizer();
      return new TokenStreamComponents(t, new ElisionFilter(t, ARTICLES));
    }
  }

  static final Analyzer FOLDED = new FoldingAnalyzer();
  static final Analyzer EXACT = new ExactAnalyzer();
  static final Analyzer ANALYZER =
      new PerFieldAnalyzerWrapper(
          FOLDED, Map.of("title_exact", EXACT, "body_exact", EXACT, "text_exact", EXACT));

  /**
   * Position gap between the title and the body inside the combined "text" field: larger than
   * any NEAR distance (50), so no phrase or NEAR pairs words across the two.
   */
  static final int FIELD_GAP = 1000;

  /** The field of a field mask (1 title, 2 body, 3 both: the combined "text" field). */
  static String fieldOf(int mask, boolean exact) {
    String f = mask == 1 ? "title" : mask == 2 ? "body" : "text";
    return exact ? f + "_exact" : f;
  }

  static List<String> analyze(Analyzer a, String field, String text) {
    List<String> out = new ArrayList<>();
    try (TokenStream ts = a.tokenStream(field, new StringReader(text))) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) out.add(term.toString());
      ts.end();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  /** Case- and accent-insensitive keyword (source: values). */
  static String foldKeyword(String s) {
    String d = Normalizer.normalize(s.trim(), Normalizer.Form.NFKD);
    return d.replaceAll("\\p{M}+", "").toLowerCase(Locale.ROOT);
  }

  static String langPrimary(String lang) {
    String l = lang.trim();
    int cut = l.length();
    for (int i = 0; i < l.length(); i++) {
      if (l.charAt(i) == '-' || l.charAt(i) == '_') {
        cut = i;
        break;
      }
    }
    return l.substring(0, cut).toLowerCase(Locale.ROOT);
  }

  static String host(String url) {
    try {
      String h = URI.create(url.trim()).getHost();
      return h == null ? "" : h.toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  static String text(JsonNode a, String field) {
    JsonNode v = a.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }

  /**
   * The article as a Lucene document with the text fields in `fields` (title, body, text =
   * title then body in one field, and their _exact variants) and the metadata fields.
   */
  static Document document(JsonNode a, Set<String> fields) {
    Document d = new Document();
    String title = text(a, "title");
    String body = text(a, "body");
    for (String suffix : new String[] {"", "_exact"}) {
      if (fields.contains("title" + suffix)) d.add(new TextField("title" + suffix, title, Field.Store.NO));
      if (fields.contains("body" + suffix)) d.add(new TextField("body" + suffix, body, Field.Store.NO));
      if (fields.contains("text" + suffix)) {
        d.add(new TextField("text" + suffix, title, Field.Store.NO));
        d.add(new TextField("text" + suffix, body, Field.Store.NO));
      }
    }
    d.add(new StringField("lang", langPrimary(text(a, "lang")), Field.Store.NO));
    d.add(new StringField("source", foldKeyword(text(a, "source")), Field.Store.NO));
    String h = host(text(a, "url"));
    while (!h.isEmpty()) {
      d.add(new StringField("site", h, Field.Store.NO));
      int dot = h.indexOf('.');
      h = dot < 0 ? "" : h.substring(dot + 1);
    }
    return d;
  }

  static final Set<String> ALL_TEXT_FIELDS =
      Set.of("title", "body", "text", "title_exact", "body_exact", "text_exact");

  // ---- translation --------------------------------------------------------------------------

  /** Rule JSON (from nw_translate) to Lucene queries. */
  static final class Translator {
    final Map<String, List<JsonNode>> lists = new HashMap<>();
    final Set<String> fieldsUsed = new HashSet<>();
    int untranslatedRegexLeaves = 0;

    Translator(JsonNode root) {
      root.get("lists")
          .fields()
          .forEachRemaining(
              e -> {
                List<JsonNode> leaves = new ArrayList<>();
                e.getValue().forEach(leaves::add);
                lists.put(e.getKey(), leaves);
              });
    }

    static Query or(List<Query> qs) {
      if (qs.isEmpty()) return new MatchNoDocsQuery();
      if (qs.size() == 1) return qs.get(0);
      BooleanQuery.Builder b = new BooleanQuery.Builder();
      for (Query q : qs) b.add(q, Occur.SHOULD);
      return b.build();
    }

    static Query not(Query q) {
      return new BooleanQuery.Builder()
          .add(new MatchAllDocsQuery(), Occur.MUST)
          .add(q, Occur.MUST_NOT)
          .build();
    }

    Query node(JsonNode n) {
      switch (n.get("op").asText()) {
        case "and":
          {
            BooleanQuery.Builder b = new BooleanQuery.Builder();
            boolean positive = false;
            for (JsonNode c : n.get("c")) {
              if (c.get("op").asText().equals("not")) {
                b.add(node(c.get("c").get(0)), Occur.MUST_NOT);
              } else {
                b.add(node(c), Occur.MUST);
                positive = true;
              }
            }
            if (!positive) b.add(new MatchAllDocsQuery(), Occur.MUST);
            return b.build();
          }
        case "or":
          {
            List<Query> qs = new ArrayList<>();
            for (JsonNode c : n.get("c")) qs.add(node(c));
            return or(qs);
          }
        case "not":
          return not(node(n.get("c").get(0)));
        case "leaf":
          return leaf(n.get("leaf"), n.get("f").asInt());
        case "list":
          return leaves(lists.getOrDefault(n.get("name").asText(), List.of()), n.get("f").asInt());
        case "meta":
          return meta(n.get("kind").asText(), n.get("value").asText());
        case "near":
          return near(n);
        default:
          throw new IllegalArgumentException("unknown op " + n.get("op"));
      }
    }

    static Query meta(String kind, String value) {
      switch (kind) {
        case "lang":
          return new TermQuery(new Term("lang", value.toLowerCase(Locale.ROOT)));
        case "source":
          return new TermQuery(new Term("source", foldKeyword(value)));
        default:
          return new TermQuery(new Term("site", value.toLowerCase(Locale.ROOT)));
      }
    }

    Query leaf(JsonNode leaf, int fields) {
      Query q = leafInField(leaf, fieldOf(fields, false));
      return q == null ? new MatchNoDocsQuery() : q;
    }

    /**
     * OR of leaves: one-token terms (and exact terms) are gathered into one TermInSetQuery per
     * field, the idiomatic Lucene form of a keyword list; the other leaves are SHOULD clauses.
     */
    Query leaves(List<JsonNode> leaves, int fields) {
      Map<String, List<BytesRef>> sets = new LinkedHashMap<>();
      List<Query> qs = new ArrayList<>();
      for (JsonNode l : leaves) {
        String kind = l.get("kind").asText();
        if (kind.equals("term") || kind.equals("exact")) {
          boolean exact = kind.equals("exact");
          String f = fieldOf(fields, exact);
          List<String> toks = analyze(exact ? EXACT : FOLDED, f, l.get("text").asText());
          if (toks.size() == 1) {
            fieldsUsed.add(f);
            sets.computeIfAbsent(f, k -> new ArrayList<>()).add(new BytesRef(toks.get(0)));
            continue;
          }
        }
        Query q = leafInField(l, fieldOf(fields, false));
        if (q != null) qs.add(q);
      }
      for (Map.Entry<String, List<BytesRef>> e : sets.entrySet()) {
        qs.add(
            e.getValue().size() == 1
                ? new TermQuery(new Term(e.getKey(), e.getValue().get(0)))
                : new TermInSetQuery(e.getKey(), e.getValue()));
      }
      return or(qs);
    }

    static Query termOrPhrase(String field, List<String> toks) {
      if (toks.isEmpty()) return null;
      if (toks.size() == 1) return new TermQuery(new Term(field, toks.get(0)));
      return new PhraseQuery(field, toks.toArray(new String[0]));
    }

    /** A leaf in one text field ("title", "body" or "text"); null when it can never match. */
    Query leafInField(JsonNode leaf, String field) {
      String kind = leaf.get("kind").asText();
      String text = leaf.get("text").asText();
      boolean exactField =
          kind.equals("exact")
              || (kind.equals("regex")
                  && leaf.get("rx").get("ok").asBoolean()
                  && !leaf.get("rx").get("view").asText().equals("folded"));
      fieldsUsed.add(exactField ? field + "_exact" : field);
      switch (kind) {
        case "term":
        case "phrase":
          return termOrPhrase(field, analyze(FOLDED, field, text));
        case "exact":
          return termOrPhrase(field + "_exact", analyze(EXACT, field + "_exact", text));
        case "prefix":
          {
            List<String> toks = analyze(FOLDED, field, text);
            if (toks.isEmpty()) return null;
            if (toks.size() == 1) return prefix(field, toks.get(0));
            return spanPrefixPhrase(field, toks);
          }
        case "regex":
          {
            JsonNode rx = leaf.get("rx");
            if (!rx.get("ok").asBoolean()) {
              untranslatedRegexLeaves++;
              return null;
            }
            String f = rx.get("view").asText().equals("folded") ? field : field + "_exact";
            List<Query> qs = new ArrayList<>();
            for (JsonNode v : rx.get("variants")) qs.add(regexVariant(f, v));
            return or(qs);
          }
        default:
          throw new IllegalArgumentException("unknown leaf kind " + kind);
      }
    }

    /**
     * A prefix as a RegexpQuery "stem.*" rather than a PrefixQuery: same matches, but the
     * presearcher's RegexpQueryHandler indexes it by its stem, whereas a PrefixQuery makes the
     * whole query "any term" (run on every document).
     */
    static MultiTermQuery prefix(String field, String stem) {
      if (!PREFIX_AS_REGEXP) return new PrefixQuery(new Term(field, stem));
      StringBuilder re = new StringBuilder();
      for (int i = 0; i < stem.length(); i++) {
        char c = stem.charAt(i);
        if (".?+*|{}[]()\"\\#@&<>~".indexOf(c) >= 0) re.append('\\');
        re.append(c);
      }
      return new RegexpQuery(new Term(field, re.append(".*").toString()));
    }

    static SpanQuery spanPrefixPhrase(String field, List<String> toks) {
      SpanQuery[] clauses = new SpanQuery[toks.size()];
      for (int i = 0; i + 1 < toks.size(); i++) {
        clauses[i] = new SpanTermQuery(new Term(field, toks.get(i)));
      }
      clauses[toks.size() - 1] =
          new SpanMultiTermQueryWrapper<>(
              prefix(field, toks.get(toks.size() - 1)));
      return new SpanNearQuery(clauses, 0, true);
    }

    static SpanQuery regexSpans(String field, JsonNode pieces) {
      SpanQuery[] clauses = new SpanQuery[pieces.size()];
      for (int i = 0; i < pieces.size(); i++) {
        clauses[i] =
            new SpanMultiTermQueryWrapper<>(
                new RegexpQuery(new Term(field, pieces.get(i).asText())));
      }
      return clauses.length == 1 ? clauses[0] : new SpanNearQuery(clauses, 0, true);
    }

    static Query regexVariant(String field, JsonNode pieces) {
      if (pieces.size() == 1) return new RegexpQuery(new Term(field, pieces.get(0).asText()));
      return regexSpans(field, pieces);
    }

    /** A leaf as spans on the folded field (NEAR operands all live in one field). */
    SpanQuery spanLeaf(JsonNode leaf, String field) {
      String kind = leaf.get("kind").asText();
      String text = leaf.get("text").asText();
      if (kind.equals("regex")) {
        JsonNode rx = leaf.get("rx");
        if (!rx.get("ok").asBoolean()) {
          untranslatedRegexLeaves++;
          return null;
        }
        List<SpanQuery> vs = new ArrayList<>();
        for (JsonNode v : rx.get("folded_variants")) vs.add(regexSpans(field, v));
        return vs.size() == 1 ? vs.get(0) : new SpanOrQuery(vs.toArray(new SpanQuery[0]));
      }
      List<String> toks = analyze(FOLDED, field, text);  // exact: approximated as folded
      if (toks.isEmpty()) return null;
      if (kind.equals("prefix")) {
        if (toks.size() == 1) {
          return new SpanMultiTermQueryWrapper<>(prefix(field, toks.get(0)));
        }
        return spanPrefixPhrase(field, toks);
      }
      if (toks.size() == 1) return new SpanTermQuery(new Term(field, toks.get(0)));
      SpanQuery[] clauses = new SpanQuery[toks.size()];
      for (int i = 0; i < toks.size(); i++) clauses[i] = new SpanTermQuery(new Term(field, toks.get(i)));
      return new SpanNearQuery(clauses, 0, true);
    }

    /** Leaves of a NEAR operand with their field masks. */
    void operandLeaves(JsonNode n, int fields, List<JsonNode> leaves, List<Integer> masks) {
      switch (n.get("op").asText()) {
        case "leaf":
          leaves.add(n.get("leaf"));
          masks.add(n.get("f").asInt());
          break;
        case "list":
          for (JsonNode l : lists.getOrDefault(n.get("name").asText(), List.of())) {
            leaves.add(l);
            masks.add(n.get("f").asInt());
          }
          break;
        default:
          for (JsonNode c : n.get("c")) operandLeaves(c, fields, leaves, masks);
      }
    }

    SpanQuery spanOperand(JsonNode n, int mask) {
      List<JsonNode> leaves = new ArrayList<>();
      List<Integer> masks = new ArrayList<>();
      operandLeaves(n, 3, leaves, masks);
      String field = fieldOf(mask, false);
      List<SpanQuery> qs = new ArrayList<>();
      for (int i = 0; i < leaves.size(); i++) {
        if ((masks.get(i) & mask) != mask) continue;
        SpanQuery q = spanLeaf(leaves.get(i), field);
        if (q != null) qs.add(q);
      }
      if (qs.isEmpty()) return null;
      fieldsUsed.add(field);
      return qs.size() == 1 ? qs.get(0) : new SpanOrQuery(qs.toArray(new SpanQuery[0]));
    }

    /** The field mask each operand covers (OR of its leaves' masks). */
    int operandMask(JsonNode n) {
      List<JsonNode> leaves = new ArrayList<>();
      List<Integer> masks = new ArrayList<>();
      operandLeaves(n, 3, leaves, masks);
      int m = 0;
      for (int x : masks) m |= x;
      return m;
    }

    Query near(JsonNode n) {
      int common = operandMask(n.get("a")) & operandMask(n.get("b"));
      // Operands that both look at title and body: one span query on "text" (the position gap
      // keeps pairs inside one field); otherwise per field.
      int[] masks = common == 3 ? new int[] {3} : new int[] {common & 1, common & 2};
      List<Query> qs = new ArrayList<>();
      for (int m : masks) {
        if (m == 0) continue;
        SpanQuery a = spanOperand(n.get("a"), m);
        SpanQuery b = spanOperand(n.get("b"), m);
        if (a == null || b == null) continue;
        qs.add(new SpanNearQuery(new SpanQuery[] {a, b}, n.get("n").asInt(), n.get("ordered").asBoolean()));
      }
      return or(qs);
    }

    /** Every leaf (lists expanded) and every NEAR node of a query, for probing. */
    void probes(JsonNode n, Map<String, JsonNode> leaves, Map<String, JsonNode> nears) {
      switch (n.get("op").asText()) {
        case "leaf":
          leaves.putIfAbsent(n.get("leaf").get("key").asText(), n.get("leaf"));
          break;
        case "list":
          for (JsonNode l : lists.getOrDefault(n.get("name").asText(), List.of())) {
            leaves.putIfAbsent(l.get("key").asText(), l);
          }
          break;
        case "near":
          nears.putIfAbsent(n.get("key").asText(), n);
          probes(n.get("a"), leaves, nears);
          probes(n.get("b"), leaves, nears);
          break;
        case "meta":
          break;
        default:
          for (JsonNode c : n.get("c")) probes(c, leaves, nears);
      }
    }
  }

  // ---- measurement --------------------------------------------------------------------------

  static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      // unknown
    }
    return 0;
  }

  static double quantile(double[] sorted, double q) {
    if (sorted.length == 0) return 0;
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) opt.put(args[i], args[i + 1]);
    if (!opt.containsKey("--rules-json") || !opt.containsKey("--corpus")) {
      System.err.println(
          "usage: LuceneMonitorPeer --rules-json FILE --corpus FILE [--limit N] [--passes K]"
              + " [--pairs OUT.tsv] [--nw-pairs FILE --probe-out OUT.jsonl [--probe-articles N]]");
      System.exit(2);
    }
    int limit = Integer.parseInt(opt.getOrDefault("--limit", "0"));
    int passes = Math.max(1, Integer.parseInt(opt.getOrDefault("--passes", "2")));
    IndexSearcher.setMaxClauseCount(1 << 20);
    // Every document gets a fresh one-document MemoryIndex: caching queries across them costs
    // time and never hits.
    IndexSearcher.setDefaultQueryCache(null);

    JsonNode rulesJson = JSON.readTree(Path.of(opt.get("--rules-json")).toFile());
    long t0 = System.nanoTime();
    Translator tr = new Translator(rulesJson);
    Map<String, Query> queries = new LinkedHashMap<>();
    Map<String, JsonNode> ruleJson = new HashMap<>();
    for (JsonNode r : rulesJson.get("rules")) {
      if (!r.get("enabled").asBoolean()) continue;
      queries.put(r.get("id").asText(), tr.node(r.get("query")));
      ruleJson.put(r.get("id").asText(), r.get("query"));
    }
    double translateSeconds = (System.nanoTime() - t0) / 1e9;
    // The presearcher indexes each query by its terms and selects, per document, the queries
    // that may match. "multipass" (MultipassTermFilteredPresearcher, 2 passes) also indexes a
    // second-best term of conjunctions, so fewer queries are run per document.
    String kind = opt.getOrDefault("--presearcher", "term");
    PREFIX_AS_REGEXP = !opt.getOrDefault("--prefix", "regexp").equals("prefix");
    Presearcher presearcher =
        kind.equals("term")
            ? new TermFilteredPresearcher(
                TermFilteredPresearcher.DEFAULT_WEIGHTOR, List.of(new RegexpQueryHandler()), Set.of())
            : new MultipassTermFilteredPresearcher(
                2, 0f, TermFilteredPresearcher.DEFAULT_WEIGHTOR, List.of(new RegexpQueryHandler()), Set.of());
    Monitor monitor = new Monitor(ANALYZER, presearcher);
    t0 = System.nanoTime();
    List<MonitorQuery> mqs = new ArrayList<>();
    for (Map.Entry<String, Query> e : queries.entrySet()) {
      mqs.add(new MonitorQuery(e.getKey(), e.getValue()));
    }
    monitor.register(mqs);
    double registerSeconds = (System.nanoTime() - t0) / 1e9;

    List<String> lines = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(Path.of(opt.get("--corpus")), StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isBlank()) continue;
        lines.add(line);
        if (limit > 0 && lines.size() >= limit) break;
      }
    }

    ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    Set<String> pairs = new LinkedHashSet<>();
    List<ObjectNode> passStats = new ArrayList<>();
    long errors = 0;
    double[] lastLatencies = null;
    for (int pass = 0; pass < passes; pass++) {
      double[] latencies = new double[lines.size()];
      long textBytes = 0;
      long matches = 0;
      long queriesRun = 0;
      long cpu0 = bean.getCurrentThreadCpuTime();
      long wall0 = System.nanoTime();
      for (int i = 0; i < lines.size(); i++) {
        long a0 = System.nanoTime();
        JsonNode a = JSON.readTree(lines.get(i));
        Document doc = document(a, tr.fieldsUsed);
        MatchingQueries<QueryMatch> m = monitor.match(doc, QueryMatch.SIMPLE_MATCHER);
        latencies[i] = (System.nanoTime() - a0) / 1e3;
        textBytes +=
            text(a, "title").getBytes(StandardCharsets.UTF_8).length
                + text(a, "body").getBytes(StandardCharsets.UTF_8).length;
        matches += m.getMatchCount();
        queriesRun += m.getQueriesRun();
        errors += m.getErrors().size();
        if ((i + 1) % 2000 == 0) {
          System.err.printf("lucene-monitor: pass %d: %d articles%n", pass + 1, i + 1);
        }
        if (pass == 0) {
          String aid = text(a, "id");
          for (QueryMatch qm : m.getMatches()) pairs.add(qm.getQueryId() + "\t" + aid);
        }
      }
      double cpu = (bean.getCurrentThreadCpuTime() - cpu0) / 1e9;
      double wall = (System.nanoTime() - wall0) / 1e9;
      double mb = textBytes / 1e6;
      double[] sorted = latencies.clone();
      Arrays.sort(sorted);
      ObjectNode p = JSON.createObjectNode();
      p.put("articles", lines.size());
      p.put("text_mb", mb);
      p.put("cpu_s", cpu);
      p.put("wall_s", wall);
      p.put("articles_per_s_cpu", lines.size() / cpu);
      p.put("mb_per_s_cpu", mb / cpu);
      p.put("articles_per_s_wall", lines.size() / wall);
      p.put("mb_per_s_wall", mb / wall);
      p.put("p50_us", quantile(sorted, 0.5));
      p.put("p99_us", quantile(sorted, 0.99));
      p.put("first_article_us", latencies.length > 0 ? latencies[0] : 0);
      p.put("matches", matches);
      p.put("queries_run_per_article", lines.isEmpty() ? 0 : (double) queriesRun / lines.size());
      passStats.add(p);
      lastLatencies = latencies;
    }

    String indexedFields = String.join(",", new java.util.TreeSet<>(tr.fieldsUsed));
    if (opt.containsKey("--pairs")) {
      try (BufferedWriter w = Files.newBufferedWriter(Path.of(opt.get("--pairs")), StandardCharsets.UTF_8)) {
        for (String p : pairs) {
          w.write(p);
          w.write('\n');
        }
      }
    }
    if (opt.containsKey("--nw-pairs") && opt.containsKey("--probe-out")) {
      probe(
          tr,
          queries,
          ruleJson,
          lines,
          pairs,
          Path.of(opt.get("--nw-pairs")),
          Path.of(opt.get("--probe-out")),
          Integer.parseInt(opt.getOrDefault("--probe-articles", "400")));
    }

    // The reported numbers are those of the last pass (the JIT has warmed up: the most
    // favourable measurement for Lucene); the first pass is kept in "passes".
    ObjectNode out = JSON.createObjectNode();
    out.put("engine", "lucene-monitor");
    out.put("lucene_version", org.apache.lucene.util.Version.LATEST.toString());
    out.put("presearcher", kind);
    out.put("prefix_queries", PREFIX_AS_REGEXP ? "regexp" : "prefix");
    out.put("rules", queries.size());
    out.put("translate_s", translateSeconds);
    out.put("compile_s", registerSeconds);
    out.put("untranslated_regex_leaves", tr.untranslatedRegexLeaves);
    out.put("indexed_fields", indexedFields);
    out.put("match_errors", errors);
    out.setAll(passStats.get(passStats.size() - 1));
    ArrayNode ps = out.putArray("passes");
    passStats.forEach(ps::add);
    out.put("pairs", pairs.size());
    out.put("peak_rss_mb", peakRssBytes() / 1e6);
    out.put("max_heap_mb", Runtime.getRuntime().maxMemory() / 1e6);
    System.out.println(JSON.writeValueAsString(out));
    monitor.close();
  }

  /**
   * For the (rule, article) pairs where newswatch and this peer disagree, evaluates each leaf
   * and NEAR node of the rule on the article with Lucene (one MemoryIndex per article) and
   * writes one JSON line per pair.
   */
  static void probe(
      Translator tr,
      Map<String, Query> queries,
      Map<String, JsonNode> ruleJson,
      List<String> lines,
      Set<String> lucenePairs,
      Path nwPairsFile,
      Path out,
      int maxArticles)
      throws IOException {
    Set<String> nwPairs = new HashSet<>(Files.readAllLines(nwPairsFile, StandardCharsets.UTF_8));
    nwPairs.remove("");
    Map<String, List<String[]>> byArticle = new LinkedHashMap<>();
    for (String p : nwPairs) {
      if (!lucenePairs.contains(p)) {
        String[] rp = p.split("\t", 2);
        byArticle.computeIfAbsent(rp[1], k -> new ArrayList<>()).add(new String[] {rp[0], "newswatch_only"});
      }
    }
    for (String p : lucenePairs) {
      if (!nwPairs.contains(p)) {
        String[] rp = p.split("\t", 2);
        byArticle.computeIfAbsent(rp[1], k -> new ArrayList<>()).add(new String[] {rp[0], "lucene_only"});
      }
    }
    int probed = 0;
    try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      for (String line : lines) {
        if (probed >= maxArticles) break;
        JsonNode a = JSON.readTree(line);
        String aid = text(a, "id");
        List<String[]> diffs = byArticle.get(aid);
        if (diffs == null) continue;
        probed++;
        MemoryIndex mi = MemoryIndex.fromDocument(document(a, ALL_TEXT_FIELDS), ANALYZER);
        for (String[] d : diffs) {
          JsonNode q = ruleJson.get(d[0]);
          if (q == null) continue;
          Map<String, JsonNode> leaves = new LinkedHashMap<>();
          Map<String, JsonNode> nears = new LinkedHashMap<>();
          tr.probes(q, leaves, nears);
          ObjectNode o = JSON.createObjectNode();
          o.put("rule", d[0]);
          o.put("article", aid);
          o.put("side", d[1]);
          // The registered query run directly on the article, without the presearcher: true
          // for a newswatch-only pair means Monitor's presearcher did not select the query.
          o.put("query_matches_without_presearcher", mi.search(queries.get(d[0])) > 0);
          ArrayNode ls = o.putArray("leaves");
          for (Map.Entry<String, JsonNode> e : leaves.entrySet()) {
            ObjectNode l = ls.addObject();
            l.put("key", e.getKey());
            l.put("kind", e.getValue().get("kind").asText());
            for (int f = 0; f < 2; f++) {
              Query lq = tr.leafInField(e.getValue(), TEXT_FIELDS[f]);
              l.put(TEXT_FIELDS[f], lq != null && mi.search(lq) > 0);
            }
          }
          ArrayNode ns = o.putArray("nears");
          for (Map.Entry<String, JsonNode> e : nears.entrySet()) {
            ObjectNode l = ns.addObject();
            l.put("key", e.getKey());
            l.put("match", mi.search(tr.near(e.getValue())) > 0);
          }
          w.write(JSON.writeValueAsString(o));
          w.write('\n');
        }
      }
    }
  }
}
