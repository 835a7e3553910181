// Private to persistence/: an audit_filter as SQL conditions and their bound
// parameters, for every table audit records are listed from.
#pragma once

#include <string>
#include <vector>

#include "persistence/audit_log.hpp"
#include "persistence/detail/session.hpp"

namespace awf::persistence::detail {

class audit_filter_sql {
public:
  /// `prefix` qualifies the save_id, device_id and created_at columns
  /// (e.g. "d."). `save_condition`, when given, replaces `save_id = :s`
  /// for a table that names saves otherwise (binding the save id as `:s`).
  audit_filter_sql(database& db, const audit_filter& filter,
                   const std::string& prefix,
                   const std::string& save_condition = {})
    : filter_(filter), save_(filter.save_id.value_or("")),
      device_(filter.device_id.value_or("")),
      since_(filter.since_ms.value_or(0)),
      // A coarse bound an index can use, then the exact test on the
      // milliseconds the records report (each dialect rounds a stored time
      // to milliseconds its own way, by under 1 ms).
      since_floor_(time_text(db, since_ - 1)),
      limit_(static_cast<long long>(filter.limit)) {
    if (filter.save_id)
      conditions_.push_back(save_condition.empty() ? prefix + "save_id = :s"
                                                   : save_condition);
    if (filter.device_id)
      conditions_.push_back(prefix + "device_id = :d");
    if (filter.since_ms) {
      conditions_.push_back(prefix + "created_at >= :f");
      conditions_.push_back(epoch_ms_sql(db, prefix + "created_at") +
                            " >= :ms");
    }
  }

  /// The conditions, each to be joined with AND.
  const std::vector<std::string>& conditions() const { return conditions_; }

  /// Binds the conditions' parameters in order, then the limit (a `:n` at
  /// the end of the statement). The statement must not outlive this object.
  void bind(soci::statement& st) {
    if (filter_.save_id)
      st.exchange(soci::use(save_));
    if (filter_.device_id)
      st.exchange(soci::use(device_));
    if (filter_.since_ms) {
      st.exchange(soci::use(since_floor_));
      st.exchange(soci::use(since_));
    }
    st.exchange(soci::use(limit_));
  }

private:
  const audit_filter& filter_;
  std::string save_, device_;
  long long since_;
  std::string since_floor_;
  long long limit_;
  std::vector<std::string> conditions_;
};

} // namespace awf::persistence::detail
