// Searching with a compiled Regex. One Hyperscan pass over the subject first (when the regex
// has a database): no report means no match, and no PCRE2 work at all, which is the common
// case when scanning files. An exact database's reports, sorted by end with a running minimum
// of their starts from the right, give the leftmost match start at or after any position in
// O(1) unless a report straddles that position (it may hide a later start with the same end);
// only then, or when a prefilter reported, does PCRE2 search, bounded by the window and the
// last report. Every reported match is measured by PCRE2, so its end is leftmost-first's.
#include <algorithm>
#include <new>

#include "match/regex.h"
#include "match/regex_internal.h"

namespace vigil::match {
namespace {

constexpr uint8_t kEmpty = 0;  // a valid subject pointer for empty input

bool is_limit(int rc) {
  return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
         rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT;
}

// What the Hyperscan pass found, in subject-relative offsets.
struct HsView {
  bool any = false;
  uint64_t min_start = UINT64_MAX;  // exact: the least start of a report at or below max_start
  uint64_t max_end = 0;
};

struct HsPass {
  const RegexCompiled* c;
  RegexScratchState* st;
  uint64_t max_start;
  bool keep_list;     // exact and global: every report is needed, not only the leftmost
  bool stop_at_zero;  // exact and not global: a report starting at 0 settles everything
  HsView view;
};

int on_hs_report(unsigned, unsigned long long from, unsigned long long to, unsigned, void* ctx) {
  auto& pass = *static_cast<HsPass*>(ctx);
  pass.view.any = true;
  pass.view.max_end = std::max<uint64_t>(pass.view.max_end, to);
  if (pass.c->engine != RegexEngine::kHyperscan) return 0;
  uint64_t start = from;
  if (pass.c->hs_fixed_width != 0)
    start = to >= pass.c->hs_fixed_width ? to - pass.c->hs_fixed_width : 0;
  if (start > pass.max_start) return 0;  // can never be reported; see the file comment
  pass.view.min_start = std::min(pass.view.min_start, start);
  if (pass.keep_list) {
    if (pass.st->reports.size() == kMaxHsReports) {
      pass.st->reports_overflowed = true;
      return 1;
    }
    pass.st->reports.push_back(HsReport{start, to});
  }
  return pass.stop_at_zero && start == 0 ? 1 : 0;
}

class Search {
 public:
  Search(const RegexCompiled& c, RegexScratchState& st, const uint8_t* subject, uint64_t len,
         uint64_t max_start, bool anchored)
      : c_(c), st_(st), subject_(subject), len_(len), max_start_(max_start), anchored_(anchored) {}

  // Runs the Hyperscan pass (if the regex has a database and the subject fits Hyperscan's
  // 32-bit length); its answers are used unless its report list overflowed.
  common::Status scan_hs() {
    if (c_.engine == RegexEngine::kPcre2 || len_ > UINT32_MAX) return common::Status::ok();
    if (!st_.hs_fitted.contains(c_.id)) {
      common::Status grown = grow_scratch(c_.hs.get(), st_.hs_scratch);
      if (!grown.is_ok()) {
        st_.hs_fitted.clear();
        if (grown.code() == VIGIL_ERR_NOMEM) throw std::bad_alloc();
        return grown;
      }
      st_.hs_fitted.insert(c_.id);
    }
    st_.reports.clear();
    st_.reports_overflowed = false;
    HsPass pass{&c_,
                &st_,
                max_start_,
                c_.flag_set.global && c_.engine == RegexEngine::kHyperscan,
                !c_.flag_set.global,
                HsView{}};
    hs_error_t rc =
        hs_scan(c_.hs.get(), reinterpret_cast<const char*>(subject_), static_cast<unsigned>(len_),
                0, st_.hs_scratch.get(), &on_hs_report, &pass);
    if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) return hs_error(rc, "Hyperscan scan failed");
    view_ = pass.view;
    hs_ok_ = !st_.reports_overflowed;
    if (hs_ok_ && pass.keep_list) index_reports();
    return common::Status::ok();
  }

  bool hs_says_none() const { return hs_ok_ && !view_.any; }

  // The next match from p (after an empty match at p, a non-empty one there or any later).
  common::Status next(uint64_t p, bool not_empty_at_p, bool& found, uint64_t& s, uint64_t& e) {
    found = false;
    if (!hs_ok_) return pcre_search(p, not_empty_at_p, max_start_, found, s, e);
    if (view_.max_end <= p) return common::Status::ok();  // every match ends after p
    if (c_.engine == RegexEngine::kHyperscanPrefilter) {
      return pcre_search(p, not_empty_at_p, std::min(max_start_, view_.max_end - 1), found, s, e);
    }
    uint64_t least = 0;  // the least start among reports ending after p
    if (!least_start_after(p, least)) return common::Status::ok();
    if (anchored_) {
      // A match at p would be a report starting at p (least == p), or hide behind a report
      // straddling p (least < p).
      if (least > p) return common::Status::ok();
      return attempt(c_.anchored.get(), p, not_empty_at_p, PCRE2_UNSET, found, s, e);
    }
    if (least >= p) {  // exact: no report straddles p, so nothing hides a start
      if (least > max_start_) return common::Status::ok();
      common::Status st =
          attempt(c_.anchored.get(), least, not_empty_at_p && least == p, PCRE2_UNSET, found, s, e);
      if (!st.is_ok() || found) return st;
      // PCRE2 disagrees with Hyperscan there: PCRE2 is the definition.
    }
    return pcre_search(p, not_empty_at_p, max_start_, found, s, e);
  }

 private:
  static common::Status hs_error(hs_error_t rc, const char* what) {
    if (rc == HS_NOMEM) throw std::bad_alloc();
    if (rc == HS_SCRATCH_IN_USE) {
      return common::Status(VIGIL_ERR_SCRATCH_IN_USE, "regex scratch used by two finds at once");
    }
    return common::Status(VIGIL_ERR_BACKEND,
                          std::string(what) + " (Hyperscan error " + std::to_string(rc) + ")");
  }

  void index_reports() {
    auto& reports = st_.reports;
    auto by_end = [](const HsReport& a, const HsReport& b) { return a.end < b.end; };
    if (!std::is_sorted(reports.begin(), reports.end(), by_end)) {
      std::stable_sort(reports.begin(), reports.end(), by_end);
    }
    auto& mins = st_.suffix_min_start;
    mins.resize(reports.size());
    uint64_t m = UINT64_MAX;
    for (size_t i = reports.size(); i-- > 0;) mins[i] = m = std::min(m, reports[i].start);
    next_report_ = 0;
  }

  // Sets `least` to the least start of the reports that end after p; false if there are none.
  // p only grows during a find, so the cursor only moves forward.
  bool least_start_after(uint64_t p, uint64_t& least) {
    if (!c_.flag_set.global) {  // only asked once, for p == 0 (or after an empty match there)
      least = view_.min_start;
      return view_.min_start != UINT64_MAX;
    }
    const auto& reports = st_.reports;
    while (next_report_ < reports.size() && reports[next_report_].end <= p) ++next_report_;
    if (next_report_ == reports.size()) return false;
    least = st_.suffix_min_start[next_report_];
    return true;
  }

  common::Status pcre_search(uint64_t p, bool not_empty_at_p, uint64_t limit, bool& found,
                             uint64_t& s, uint64_t& e) {
    if (anchored_) return attempt(c_.anchored.get(), p, not_empty_at_p, PCRE2_UNSET, found, s, e);
    if (p > limit) return common::Status::ok();
    return attempt(c_.search.get(), p, not_empty_at_p, limit, found, s, e);
  }

  common::Status attempt(const pcre2_code* code, uint64_t from, bool not_empty, uint64_t limit,
                         bool& found, uint64_t& s, uint64_t& e) {
    found = false;
    pcre2_set_offset_limit(st_.match_context.get(), limit);
    int rc = pcre2_match(code, subject_, len_, from, not_empty ? PCRE2_NOTEMPTY_ATSTART : 0,
                         st_.match_data.get(), st_.match_context.get());
    if (rc == PCRE2_ERROR_NOMATCH) return common::Status::ok();
    if (rc >= 0) {
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st_.match_data.get());
      if (ov[0] > ov[1] || ov[1] > len_) {  // only \K tricks could do this; refuse them
        return common::Status(
            VIGIL_ERR_BACKEND,
            "regex /" + c_.pattern + "/ reported a match that ends before it starts");
      }
      s = ov[0];
      e = ov[1];
      found = true;
      return common::Status::ok();
    }
    if (rc == PCRE2_ERROR_NOMEMORY) throw std::bad_alloc();
    return common::Status(is_limit(rc) ? VIGIL_ERR_LIMIT : VIGIL_ERR_BACKEND,
                          "regex /" + c_.pattern + "/ at offset " + std::to_string(from) + ": " +
                              pcre2_error_text(rc));
  }

  const RegexCompiled& c_;
  RegexScratchState& st_;
  const uint8_t* subject_;
  uint64_t len_;
  uint64_t max_start_;
  bool anchored_;
  bool hs_ok_ = false;
  HsView view_;
  size_t next_report_ = 0;
};

}  // namespace

RegexScratch::RegexScratch(const RegexLimits& limits)
    : state_(std::make_unique<RegexScratchState>()) {
  state_->limits = limits;
  state_->match_data.reset(pcre2_match_data_create(1, nullptr));
  state_->match_context.reset(pcre2_match_context_create(nullptr));
  if (state_->match_data == nullptr || state_->match_context == nullptr) throw std::bad_alloc();
  pcre2_match_context* ctx = state_->match_context.get();
  pcre2_set_match_limit(ctx, limits.match_limit);
  pcre2_set_depth_limit(ctx, limits.depth_limit);
  pcre2_set_heap_limit(ctx, limits.heap_limit_kib);
  // NULL when the library has no JIT; matching then interprets and needs no JIT stack.
  size_t jit_max = size_t{std::max<uint32_t>(limits.jit_stack_kib, 32)} * 1024;
  state_->jit_stack.reset(pcre2_jit_stack_create(32 * 1024, jit_max, nullptr));
  if (state_->jit_stack != nullptr) pcre2_jit_stack_assign(ctx, nullptr, state_->jit_stack.get());
}

RegexScratch::~RegexScratch() = default;
RegexScratch::RegexScratch(RegexScratch&&) noexcept = default;
RegexScratch& RegexScratch::operator=(RegexScratch&&) noexcept = default;
const RegexLimits& RegexScratch::limits() const { return state_->limits; }

common::Status Regex::find(const uint8_t* data, uint64_t size, uint64_t lo, uint64_t hi,
                           RegexScratch& scratch,
                           const std::function<bool(RegexMatch)>& on_match) const {
  const RegexCompiled& c = *compiled_;
  if (lo > size || hi < lo) return common::Status::ok();
  if (data == nullptr) data = &kEmpty;
  // The window, in subject offsets: see the top of regex.h.
  const bool windowed = hi > lo;
  const bool anchored = c.flag_set.anchored || (!windowed && !c.flag_set.rolling);
  const uint64_t end = (c.flag_set.encompass && windowed) ? std::min(hi, size) : size;
  const uint64_t len = end - lo;
  // The last start a match may have (anchored: see below; each must start where asked).
  const uint64_t max_start = (windowed && !anchored) ? std::min(hi - lo, len) : len;

  Search search(c, *scratch.state_, data + lo, len, max_start, anchored);
  common::Status st = search.scan_hs();
  if (!st.is_ok() || search.hs_says_none()) return st;

  uint64_t p = 0;
  bool not_empty_at_p = false;
  for (;;) {
    bool found = false;
    uint64_t s = 0, e = 0;
    st = search.next(p, not_empty_at_p, found, s, e);
    // Anchored, each match starts where the last ended; else each starts in the window.
    if (!st.is_ok() || !found || (anchored ? s != p : s > max_start)) return st;
    if (!on_match(RegexMatch{lo + s, lo + e}) || !c.flag_set.global) return st;
    if (e == len) return st;  // as ClamAV: no search resumes at the subject's end
    not_empty_at_p = e == s;
    p = e;
  }
}

}  // namespace vigil::match
