#include "persistence/detail/audit_writes.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/uuid.hpp"

namespace awf::persistence::detail {

audit_writes::audit_writes(database& db) : insert_(session_of(db)) {
  // The details are chosen in SQL by whether the save exists, both variants
  // prepared in C++: no JSON functions, which differ between the dialects.
  std::string details = "CASE WHEN EXISTS (SELECT 1 FROM awf_saves WHERE "
                        "save_id = :s2) THEN :df ELSE :dm END";
  if (is_postgresql(db))
    details = "CAST(" + details + " AS JSONB)";
  auto& s = session_of(db);
  insert_ = (s.prepare << "INSERT INTO awf_sync_audit (audit_id, save_id, "
                          "device_id, operation, details) VALUES (:id, "
                          "(SELECT save_id FROM awf_saves WHERE save_id = "
                          ":s1), :dev, :op, " +
                            details + ")",
             soci::use(id_), soci::use(save_key_, save_ind_),
             soci::use(device_, device_ind_), soci::use(operation_),
             soci::use(save_key_, save_ind_), soci::use(details_found_),
             soci::use(details_missing_));
}

std::string audit_writes::insert(const audit_entry& entry) {
  const std::string& text =
    entry.details_json.empty() ? std::string{"{}"} : entry.details_json;
  auto details = nlohmann::json::parse(text, nullptr, false);
  if (details.is_discarded() || !details.is_object())
    throw std::invalid_argument("audit details of '" + entry.operation +
                                "' are not a JSON object");
  id_ = core::time_ordered_uuid();
  operation_ = entry.operation;
  device_ = entry.device_id.value_or("");
  device_ind_ = entry.device_id ? soci::i_ok : soci::i_null;
  details_found_ = text;
  if (entry.save_id) {
    // PostgreSQL refuses non-UUID text for a UUID: a junk id finds nothing.
    save_key_ = *entry.save_id;
    save_ind_ = core::is_uuid(*entry.save_id) ? soci::i_ok : soci::i_null;
    details["save_id"] = *entry.save_id;
    details_missing_ = details.dump();
  } else {
    save_key_.clear();
    save_ind_ = soci::i_null;
    details_missing_ = text;
  }
  insert_.execute(true);
  return id_;
}

} // namespace awf::persistence::detail
