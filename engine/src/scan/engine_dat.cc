// Engine <-> DAT. The build writes the names, the body plan, the hash tables and the source
// IR as the layouts the engine uses, so a load is a verification pass plus a few copies and
// one Hyperscan deserialize. Everything read back is validated by its owner (plan, fragment
// table, tables, names) before the engine exists; the loader adds the cross-checks between
// sections (counts, id ranges).
#include "scan/engine_dat.h"

#include <chrono>
#include <future>
#include <system_error>

#include "common/byte_io.h"
#include "scan/db_cache.h"

namespace vigil::scan {
namespace {

using common::Status;
using dat::SectionType;

Status corrupt(const std::string& why) { return Status(VIGIL_ERR_CORRUPT, why); }

common::ByteReader reader_for(std::string_view bytes, SectionType type) {
  return common::ByteReader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                            std::string(dat::section_name(static_cast<uint32_t>(type))));
}

void note(sig::Diagnostics& diags, vigil_diag_severity sev, const std::string& msg) {
  diags.push_back(sig::Diagnostic{VIGIL_DIAG_DAT_COMPILE, sev, "", 0, "", msg});
}

// A DAT whose stored layouts this engine does not read: rebuild from the IR.
common::Result<std::unique_ptr<Engine>> rebuild_from_ir(const dat::DatView& view,
                                                        const DatMeta& meta,
                                                        sig::Diagnostics& diags) {
  const dat::Section* ir_section = view.find(SectionType::kSourceIr);
  if (ir_section == nullptr) return corrupt("DAT has no signature sources section");
  Status checked = dat::check_section(*ir_section);  // its hash was deferred by the loader
  if (!checked.is_ok()) return checked;
  auto ir = decode_ir(ir_section->bytes);
  if (!ir.is_ok()) return ir.status();
  // Not cached: a plan-version change comes with an engine upgrade, after which the update
  // channel is expected to ship DATs of the new version.
  note(diags, VIGIL_SEVERITY_WARNING,
       "DAT plan version " + std::to_string(meta.plan_version) + " differs from this engine's " +
           std::to_string(kPlanVersion) +
           ": rebuilt from its signature sources at every load until a DAT of this version is "
           "installed");
  sig::SignatureSet set = sig::load_sources(ir.value().files, sig::LoadFlags{});
  auto engine = build_engine(set);
  if (!engine.is_ok()) return engine.status();
  if (sig::has_errors(set.diags)) {
    for (const sig::Diagnostic& d : set.diags) {
      if (d.severity == VIGIL_SEVERITY_ERROR) return corrupt("signature sources: " + d.message);
    }
  }
  engine.value()->stats.ignored_signatures = meta.ignored_signatures;
  return engine;
}

// Gives the matcher a database: the DAT's own when it runs here, else the cache's, else a
// fresh compile for this machine (stored in the cache for the next load).
Status attach_database(Engine& e, common::Result<match::Databases> stored, const dat::DatView& view,
                       const DatLoadOptions& opts, sig::Diagnostics& diags) {
  Status st = stored.is_ok() ? e.body->set_database(stored.take()) : stored.status();
  if (st.code() == VIGIL_ERR_VERSION && e.body->fragment_count() == 0) {
    return corrupt("pattern database present without fragments");
  }
  if (st.is_ok()) {
    e.stats.database_origin = VIGIL_DATABASE_PRECOMPILED;
    return st;
  }
  if (st.code() != VIGIL_ERR_VERSION) return st;
  const std::string why = st.message();
  DbCache cache(opts.cache_dir, view.id);
  if (cache.enabled()) {
    auto cached = cache.read();
    Status used = cached.status();
    if (cached.is_ok()) {
      used = e.body->load_database(reinterpret_cast<const uint8_t*>(cached.value().data()),
                                   cached.value().size());
      if (used.is_ok()) {
        e.stats.database_origin = VIGIL_DATABASE_CACHED;
        note(diags, VIGIL_SEVERITY_INFO,
             why + ": used the database compiled for this machine at " + cache.path());
        return Status::ok();
      }
      used = Status(used.code(), cache.path() + ": " + used.message());
    }
    if (used.code() != VIGIL_ERR_IO) {
      note(diags, VIGIL_SEVERITY_WARNING, "ignored cache file: " + used.message());
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  st = e.body->compile_database(match::host_target());
  if (!st.is_ok()) return st;
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  e.stats.database_origin = VIGIL_DATABASE_COMPILED;
  std::string msg = why + ": compiled for this machine in " + std::to_string(ms) + " ms";
  if (cache.enabled()) {
    auto bytes = e.body->serialize_database();
    Status w = bytes.is_ok() ? cache.write(bytes.value()) : bytes.status();
    if (w.is_ok()) {
      msg += ", cached at " + cache.path();
    } else {
      note(diags, VIGIL_SEVERITY_WARNING, "cannot write the database cache: " + w.message());
    }
  }
  note(diags, VIGIL_SEVERITY_INFO, msg);
  return Status::ok();
}

}  // namespace

common::Result<std::string> build_dat(sig::SignatureSet& set, const DatBuildOptions& opts) {
  CanonicalSet lines = canonicalize(set);
  const uint64_t ignored = set.ignored;
  auto built = build_engine(set, opts.target);
  if (!built.is_ok()) return built.status();
  const Engine& e = *built.value();

  DatMeta meta;
  meta.body_signatures = e.stats.body_signatures;
  meta.hash_signatures = e.hashes.size();
  meta.allowlist_entries = e.allow.size();
  meta.ignored_signatures = ignored;
  meta.fragments = e.body->fragment_count();
  match::HsTarget target = opts.target.host ? match::host_target() : opts.target;
  meta.hs_cpu_features = target.cpu_features;
  meta.hs_tune = target.tune;
  meta.hs_version = match::hyperscan_version();

  auto db = e.body->serialize_database();
  if (!db.is_ok()) return db.status();
  common::ByteWriter names, plan, hashes, allow, logical, section_table;
  e.names.write(names);
  e.body->write_plan(plan);
  e.hashes.write(hashes);
  e.allow.write(allow);
  e.logical.write(logical);
  e.sections.write(section_table);

  dat::Header header;
  header.dat_version = opts.version;
  header.created = opts.created;
  header.min_engine_version = opts.min_engine_version;
  std::vector<dat::SectionInput> sections;
  sections.push_back({SectionType::kMeta, encode_meta(meta)});
  sections.push_back({SectionType::kNames, names.take()});
  sections.push_back({SectionType::kBodyPlan, plan.take()});
  sections.push_back({SectionType::kHsDatabase, db.take()});
  sections.push_back({SectionType::kHashes, hashes.take()});
  sections.push_back({SectionType::kAllow, allow.take()});
  sections.push_back({SectionType::kLogical, logical.take()});
  sections.push_back({SectionType::kSectionHashes, section_table.take()});
  sections.push_back(
      {SectionType::kSourceIr, encode_ir(make_ir(lines, set, e.body->kept(), e.logical.kept()))});
  return dat::assemble(header, sections);
}

common::Result<std::unique_ptr<Engine>> load_dat(const uint8_t* data, size_t size,
                                                 const DatLoadOptions& opts,
                                                 sig::Diagnostics& diags) {
  // The IR is only read when the DAT must be rebuilt, so its hash is checked only then.
  dat::Trust trust = opts.trust;
  trust.defer_hash.push_back(SectionType::kSourceIr);
  auto opened = dat::open(data, size, trust);
  if (!opened.is_ok()) return opened.status();
  const dat::DatView& view = opened.value();
  auto meta_bytes = require_section(view, SectionType::kMeta);
  if (!meta_bytes.is_ok()) return meta_bytes.status();
  auto meta = decode_meta(meta_bytes.value());
  if (!meta.is_ok()) return meta.status();

  common::Result<std::unique_ptr<Engine>> built = Status();
  if (meta.value().plan_version != kPlanVersion) {
    built = rebuild_from_ir(view, meta.value(), diags);
  } else {
    auto engine = std::make_unique<Engine>();
    std::string_view parts[7];
    const SectionType types[7] = {SectionType::kNames,        SectionType::kBodyPlan,
                                  SectionType::kHsDatabase,   SectionType::kHashes,
                                  SectionType::kAllow,        SectionType::kLogical,
                                  SectionType::kSectionHashes};
    for (int i = 0; i < 7; ++i) {
      auto s = require_section(view, types[i]);
      if (!s.is_ok()) return s.status();
      parts[i] = s.value();
    }
    // Hyperscan deserializes (a copy and a CRC of megabytes) while the plan is read.
    // That thread then checks the digest of the signature sources, which open() deferred
    // (the section is only read for a rebuild), so a damaged one still fails the load.
    std::string_view db_bytes = parts[2];
    const dat::Section* ir = view.find(SectionType::kSourceIr);
    if (ir == nullptr) return corrupt("DAT has no signature sources section");
    Status ir_ok;
    auto deserialize = [db_bytes, ir, &ir_ok]() -> common::Result<match::Databases> {
      auto d = match::BodyMatcher::deserialize_databases(
          reinterpret_cast<const uint8_t*>(db_bytes.data()), db_bytes.size());
      ir_ok = dat::check_section(*ir);
      return d;
    };
    // On a thread of its own when one can be started; otherwise on this one, at get().
    std::future<common::Result<match::Databases>> db;
    try {
      db = std::async(std::launch::async, deserialize);
    } catch (const std::system_error&) {
      db = std::async(std::launch::deferred, deserialize);
    }
    common::ByteReader names = reader_for(parts[0], SectionType::kNames);
    Status st = engine->names.read(names);
    if (st.is_ok() && !names.at_end()) st = corrupt("names: trailing bytes");
    if (!st.is_ok()) return st;
    common::ByteReader plan = reader_for(parts[1], SectionType::kBodyPlan);
    auto body = match::BodyMatcher::read_plan(plan);
    if (!body.is_ok()) return body.status();
    engine->body = body.take();
    const size_t body_count = engine->body->signature_count();
    if (body_count > engine->names.size()) return corrupt("names: fewer names than signatures");
    const auto id_limit = static_cast<uint32_t>(engine->names.size());
    common::ByteReader logical = reader_for(parts[5], SectionType::kLogical);
    st = engine->logical.read(logical, body_count);
    if (st.is_ok() && !logical.at_end()) st = corrupt("logical signatures: trailing bytes");
    if (!st.is_ok()) return st;
    st = engine->logical.set_passes(engine->body->deferred());
    if (!st.is_ok()) return corrupt("logical signatures: " + st.message());
    // A subsignature never ends a scan and is never reported: the plan and the logical table
    // must agree on which signatures are subsignatures.
    for (uint32_t i = 0; i < body_count; ++i) {
      if (engine->body->is_subsig(i) != (engine->logical.slot_of(i) != LogicalTable::kPlain)) {
        return corrupt("logical signatures: roles disagree with the body plan at signature " +
                       std::to_string(i));
      }
    }
    common::ByteReader hashes = reader_for(parts[3], SectionType::kHashes);
    st = engine->hashes.read(hashes, static_cast<uint32_t>(body_count));
    if (st.is_ok() && !hashes.at_end()) st = corrupt("hash signatures: trailing bytes");
    if (!st.is_ok()) return st;
    engine->logical_base = static_cast<uint32_t>(body_count + engine->hashes.size());
    const uint64_t section_base = uint64_t{engine->logical_base} + engine->logical.size();
    if (section_base > id_limit) {
      return corrupt("hash and logical signatures: count does not match the names");
    }
    common::ByteReader section_hashes = reader_for(parts[6], SectionType::kSectionHashes);
    st = engine->sections.read(section_hashes, static_cast<uint32_t>(section_base));
    if (st.is_ok() &&
        (!section_hashes.at_end() || section_base + engine->sections.size() != id_limit)) {
      st = corrupt("hash and logical signatures: count does not match the names");
    }
    if (!st.is_ok()) return st;
    common::ByteReader allow = reader_for(parts[4], SectionType::kAllow);
    st = engine->allow.read(allow, 0);
    if (st.is_ok() && !allow.at_end()) st = corrupt("allowlist: trailing bytes");
    if (!st.is_ok()) return st;
    auto database = db.get();
    if (!ir_ok.is_ok()) return ir_ok;
    st = attach_database(*engine, std::move(database), view, opts, diags);
    if (!st.is_ok()) return st;
    vigil_engine_stats& s = engine->stats;
    s.struct_size = sizeof s;
    s.body_signatures = 0;
    for (uint32_t i = 0; i < body_count; ++i) {
      const uint32_t role = engine->logical.slot_of(i);
      s.body_signatures += role == LogicalTable::kPlain || LogicalTable::is_member(role) ? 1 : 0;
    }
    s.logical_signatures = engine->logical.size();
    s.section_hash_signatures = engine->sections.size();
    s.hash_signatures = engine->hashes.size();
    s.allowlist_entries = engine->allow.size();
    s.ignored_signatures = meta.value().ignored_signatures;
    s.fragments = engine->body->fragment_count();
    built = std::move(engine);
  }
  if (built.is_ok()) {
    built.value()->stats.dat_version = view.header.dat_version;
    built.value()->stats.dat_created = view.header.created;
  }
  return built;
}

}  // namespace vigil::scan
