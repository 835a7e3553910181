#include "persistence/detail/audit_writes.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/uuid.hpp"

namespace awf::persistence::detail {

audit_writes::audit_writes(database& db) : db_(db), insert_(session_of(db)) {
  // The details are chosen in SQL by whether the save exists, both variants
  // prepared in C++: no JSON functions, which differ between the dialects.
  std::string details = "CASE WHEN EXISTS (SELECT 1 FROM awf_saves WHERE "
                        "save_id = :s2) THEN :df ELSE :dm END";
  if (is_postgresql(db))
    details = "CAST(" + details + " AS JSONB)";
  auto& s = session_of(db);
  insert_ = (s.prepare << "INSERT INTO awf_sync_audit (audit_id, save_id, "
                          "device_id, operation, details, created_at) VALUES "
                          "(:id, (SELECT save_id FROM awf_saves WHERE "
                          "save_id = :s1), :dev, :op, " +
                            details + ", :ca)",
             soci::use(id_), soci::use(save_key_, save_ind_),
             soci::use(device_, device_ind_), soci::use(operation_),
             soci::use(save_key_, save_ind_), soci::use(details_found_),
             soci::use(details_missing_), soci::use(created_at_));
}

namespace {

std::string dump(const nlohmann::json& value) {
  // A clipped id may end inside a UTF-8 sequence: replace, never throw.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

audit_entry bounded(const audit_entry& entry) {
  audit_entry out = entry;
  if (out.details_json.empty())
    out.details_json = "{}";
  if (out.details_json.size() > max_audit_details_bytes) {
    out.details_json =
      dump({{"truncated", true}, {"bytes", entry.details_json.size()}});
  } else {
    auto details = nlohmann::json::parse(out.details_json, nullptr, false);
    if (details.is_discarded() || !details.is_object())
      throw std::invalid_argument("audit details of '" + entry.operation +
                                  "' are not a JSON object");
  }
  if (out.device_id && out.device_id->size() > max_audit_id_bytes) {
    auto details = nlohmann::json::parse(out.details_json);
    details["device_id_bytes"] = out.device_id->size();
    out.details_json = dump(details);
    out.device_id.reset();
  }
  return out;
}

std::string audit_writes::insert(const audit_entry& original) {
  auto entry = bounded(original);
  const std::string& text = entry.details_json;
  auto details = nlohmann::json::parse(text);
  id_ = core::time_ordered_uuid();
  operation_ = entry.operation;
  device_ = entry.device_id.value_or("");
  device_ind_ = entry.device_id ? soci::i_ok : soci::i_null;
  details_found_ = text;
  if (entry.save_id) {
    // PostgreSQL refuses non-UUID text for a UUID: a junk id finds nothing.
    save_key_ = *entry.save_id;
    save_ind_ = core::is_uuid(*entry.save_id) ? soci::i_ok : soci::i_null;
    // Only the start of an id that is no save's is kept.
    const auto& id = *entry.save_id;
    details["save_id"] = id.substr(0, max_audit_id_bytes);
    if (id.size() > max_audit_id_bytes)
      details["save_id_bytes"] = id.size();
    details_missing_ = dump(details);
  } else {
    save_key_.clear();
    save_ind_ = soci::i_null;
    details_missing_ = text;
  }
  created_at_ = now_text(db_);
  insert_.execute(true);
  return id_;
}

} // namespace awf::persistence::detail
