#include "persistence/conflict_store.hpp"

#include "core/uuid.hpp"
#include "persistence/detail/session.hpp"

// PostgreSQL rejects non-UUID text in UUID columns, so a junk save id is
// checked first and lists nothing, exactly as a save without conflicts.

namespace awf::persistence {

namespace {

using detail::guarded;
using detail::session_of;

/// Restricts a query on awf_conflicts to the saves of one user.
constexpr const char* user_saves_filter =
  "save_id IN (SELECT save_id FROM awf_saves WHERE user_id_hash = :u)";

/// Reads awf_conflicts rows into records.
struct conflict_row {
  conflict_record rec;
  long long fork = 0, paths = 0, created = 0;
  soci::indicator archive_ind = soci::i_null, device_ind = soci::i_null;

  static std::string columns(database& db) {
    return "conflict_id, save_id, fork_turn, strategy, reason, "
           "chosen_branch, archive_id, conflicting_paths, device_id, "
           "CAST(report AS TEXT), " +
           detail::epoch_ms_sql(db, "created_at");
  }

  void bind(soci::statement& st) {
    st.exchange(soci::into(rec.conflict_id));
    st.exchange(soci::into(rec.save_id));
    st.exchange(soci::into(fork));
    st.exchange(soci::into(rec.strategy));
    st.exchange(soci::into(rec.reason));
    st.exchange(soci::into(rec.chosen_branch));
    st.exchange(soci::into(rec.archive_id, archive_ind));
    st.exchange(soci::into(paths));
    st.exchange(soci::into(rec.device_id, device_ind));
    st.exchange(soci::into(rec.report_json));
    st.exchange(soci::into(created));
  }

  conflict_record take() {
    auto out = rec;
    if (archive_ind != soci::i_ok)
      out.archive_id.clear();
    if (device_ind != soci::i_ok)
      out.device_id.clear();
    out.fork_turn = fork;
    out.conflicting_paths = paths;
    out.created_at_ms = created;
    return out;
  }
};

} // namespace

stored<std::vector<conflict_record>>
conflict_store::list(const std::string& save_id,
                     const std::string& user_id_hash, std::size_t limit) {
  if (!save_id.empty() && !core::is_uuid(save_id))
    return std::vector<conflict_record>{};
  return guarded(
    "list conflicts", [&]() -> stored<std::vector<conflict_record>> {
      std::string sql =
        "SELECT " + conflict_row::columns(db_) + " FROM awf_conflicts";
      std::string where;
      if (!save_id.empty())
        where = " WHERE save_id = :s";
      if (!user_id_hash.empty())
        where += (where.empty() ? " WHERE " : " AND ") +
                 std::string{user_saves_filter};
      // Settled in the same microsecond: SQLite keeps insertion order, and
      // PostgreSQL has no such order, so the id decides (stable, if
      // arbitrary).
      sql += where + " ORDER BY created_at DESC, " +
             (detail::is_postgresql(db_) ? "conflict_id DESC" : "rowid DESC") +
             " LIMIT :n";
      long long max_rows = static_cast<long long>(limit);
      conflict_row row;
      soci::statement st(session_of(db_));
      st.alloc();
      st.prepare(sql);
      if (!save_id.empty())
        st.exchange(soci::use(save_id));
      if (!user_id_hash.empty())
        st.exchange(soci::use(user_id_hash));
      st.exchange(soci::use(max_rows));
      return detail::fetch_all(st, row);
    });
}

stored<conflict_totals>
conflict_store::totals(const std::string& user_id_hash) {
  return guarded("count conflicts", [&]() -> stored<conflict_totals> {
    // One grouped query: every total comes from the same snapshot.
    std::string sql =
      "SELECT strategy, reason, chosen_branch, CASE WHEN conflicting_paths "
      "> 0 THEN 1 ELSE 0 END AS with_paths, COUNT(*) FROM awf_conflicts";
    if (!user_id_hash.empty())
      sql += std::string{" WHERE "} + user_saves_filter;
    sql += " GROUP BY strategy, reason, chosen_branch, with_paths";
    std::string strategy, reason, branch;
    long long with_paths = 0, n = 0;
    soci::statement st(session_of(db_));
    st.alloc();
    st.prepare(sql);
    if (!user_id_hash.empty())
      st.exchange(soci::use(user_id_hash));
    st.exchange(soci::into(strategy));
    st.exchange(soci::into(reason));
    st.exchange(soci::into(branch));
    st.exchange(soci::into(with_paths));
    st.exchange(soci::into(n));
    st.define_and_bind();
    st.execute(false);
    conflict_totals out;
    while (st.fetch()) {
      out.total += n;
      out.by_strategy[strategy] += n;
      out.by_reason[reason] += n;
      out.by_chosen_branch[branch] += n;
      if (strategy == "three_way_merge" && branch == "merged")
        (with_paths != 0 ? out.merges_with_conflicts : out.merges_clean) += n;
    }
    return out;
  });
}

} // namespace awf::persistence
