// Choosing each logical signature's anchors (see passes.h) from its expression and the scores
// of its subsignatures' fragments. A subsignature searched in several forms ("::wa") is as
// weak as its weakest form; a PCRE subsignature stands for its trigger's anchors, and a macro
// (no pattern: it counts only where the subsignature before it matched) for that one.
#include "match/passes.h"

#include <algorithm>
#include <optional>

namespace vigil::match {
namespace {

// A fragment scoring this much (about seven varied bytes) rarely matches by chance.
constexpr int kStrongScore = 40;

}  // namespace

std::vector<uint8_t> plan_passes(const std::vector<sig::BodySig>& sigs,
                                 const std::vector<uint32_t>& kept, const std::vector<int>& scores,
                                 const std::vector<sig::LogicalSig>& logical) {
  std::vector<uint8_t> deferred(kept.size(), 0);
  // Matcher signatures by logical signature, in order.
  std::vector<std::pair<uint32_t, uint32_t>> order;  // (logical index, matcher index)
  for (uint32_t k = 0; k < kept.size(); ++k) {
    const sig::BodySig& b = sigs[kept[k]];
    if (b.logical != sig::kNotLogical && b.logical < logical.size())
      order.emplace_back(b.logical, k);
  }
  std::sort(order.begin(), order.end());
  std::vector<std::optional<sig::AnchorSet>> leaf;
  for (size_t i = 0; i < order.size();) {
    const uint32_t li = order[i].first;
    size_t end = i;
    while (end < order.size() && order[end].first == li) ++end;
    const sig::LogicalSig& ls = logical[li];
    leaf.assign(ls.subsigs, std::nullopt);
    for (size_t j = i; j < end; ++j) {
      uint32_t k = order[j].second;
      uint32_t s = sigs[kept[k]].subsig;
      if (s >= ls.subsigs || s >= 64) continue;
      int score = scores[k];
      if (leaf[s]) score = std::min(score, leaf[s]->score);
      leaf[s] = sig::AnchorSet{uint64_t{1} << s, score};
    }
    // A byte compare holds only where its trigger (a pattern) matched; a PCRE only where its
    // trigger holds over the patterns and byte compares.
    for (const sig::ByteCompare& b : ls.byte_compares) {
      if (b.subsig < leaf.size() && b.trigger < leaf.size()) leaf[b.subsig] = leaf[b.trigger];
    }
    for (const sig::MacroSubsig& m : ls.macros) {
      if (m.subsig < leaf.size() && m.subsig > 0) leaf[m.subsig] = leaf[m.subsig - 1u];
    }
    std::vector<std::optional<sig::AnchorSet>> patterns = leaf;
    for (const sig::PcreSubsig& p : ls.pcres) {
      if (p.subsig < leaf.size()) {
        leaf[p.subsig] = sig::anchors(p.trigger.data(), p.trigger.size(), patterns);
      }
    }
    auto set = sig::anchors(ls.program.data(), ls.program.size(), leaf);
    if (set) {
      // Besides the anchors, every strong subsignature stays in the first pass too: it costs
      // that pass little, and the more of the expression the first pass sees, the fewer
      // inputs the second pass runs on (see LogicalTable::wants_second).
      for (size_t j = i; j < end; ++j) {
        uint32_t k = order[j].second;
        uint32_t s = sigs[kept[k]].subsig;
        bool first = s >= 64 || (set->mask >> s & 1) != 0 ||
                     (patterns[s] && patterns[s]->score >= kStrongScore);
        deferred[k] = first ? 0 : 1;
      }
    }
    i = end;
  }
  return deferred;
}

}  // namespace vigil::match
