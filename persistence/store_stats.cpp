#include "persistence/store_stats.hpp"

#include "persistence/detail/session.hpp"

namespace awf::persistence {

namespace {

/// The SQL of every total, for the whole store or one user's part of it.
/// With a user, each query binds it once per placeholder.
struct total_queries {
  std::string saves, turns, devices, archives, blobs, diff_bytes, blob_refs,
    integrity_failed, turns_by_kind, audit_by_operation;

  explicit total_queries(bool per_user) {
    const std::string user_saves =
      "SELECT save_id FROM awf_saves WHERE user_id_hash = :u";
    // The same saves as turn rows name them.
    const std::string user_save_keys =
      "SELECT save_key FROM awf_saves WHERE user_id_hash = :u";
    auto sum = [](const std::string& column) {
      return "CAST(COALESCE(SUM(" + column + "), 0) AS BIGINT)";
    };
    // Records of awf_sync_audit matching `where_own`, and the sync up
    // records kept in turn rows matching `and_kept`.
    auto audit_counts = [](const std::string& where_own,
                           const std::string& and_kept) {
      return "SELECT operation, CAST(SUM(n) AS BIGINT) FROM (SELECT "
             "operation, COUNT(*) AS n FROM awf_sync_audit" +
             where_own +
             " GROUP BY operation UNION ALL SELECT CAST('sync_up' AS TEXT), "
             "COUNT(*) FROM awf_save_diffs WHERE sync_turns IS NOT NULL" +
             and_kept + ") AS parts GROUP BY operation HAVING SUM(n) > 0";
    };
    // Diffs live in their turn rows, on the head chain and in archives.
    auto diffs_of = [&sum](const std::string& where_save,
                           const std::string& archive_of) {
      return "SELECT CAST(SUM(n) AS BIGINT) FROM (SELECT " +
             sum("LENGTH(body)") + " AS n FROM awf_save_diffs" + where_save +
             " UNION ALL SELECT " + sum("LENGTH(t.body)") +
             " AS n FROM awf_archive_turns t" + archive_of + ") AS parts";
    };
    if (!per_user) {
      saves = "SELECT COUNT(*) FROM awf_saves";
      integrity_failed =
        "SELECT COUNT(*) FROM awf_saves WHERE NOT integrity_ok";
      turns = "SELECT COUNT(*), " + sum("state_bytes") + " FROM awf_save_diffs";
      devices = "SELECT COUNT(*) FROM awf_devices";
      archives = "SELECT COUNT(*) FROM awf_save_archives";
      blobs = "SELECT COUNT(*), " + sum("size") + ", " + sum("stored_size") +
              " FROM awf_save_blobs";
      diff_bytes = diffs_of("", "");
      blob_refs = "SELECT COUNT(*) FROM awf_blob_refs";
      turns_by_kind = "SELECT kind, COUNT(*) FROM awf_save_diffs GROUP BY kind";
      audit_by_operation = audit_counts("", "");
      return;
    }
    saves = "SELECT COUNT(*) FROM awf_saves WHERE user_id_hash = :u";
    integrity_failed = "SELECT COUNT(*) FROM awf_saves WHERE user_id_hash = "
                       ":u AND NOT integrity_ok";
    turns = "SELECT COUNT(*), " + sum("state_bytes") +
            " FROM awf_save_diffs WHERE save_key IN (" + user_save_keys + ")";
    devices = "SELECT COUNT(*) FROM awf_devices WHERE user_id_hash = :u";
    archives = "SELECT COUNT(*) FROM awf_save_archives WHERE save_id IN (" +
               user_saves + ")";
    // A blob shared with other users counts once, for each user using it.
    blobs = "SELECT COUNT(*), " + sum("size") + ", " + sum("stored_size") +
            " FROM awf_save_blobs WHERE blob_hash IN (SELECT blob_hash FROM "
            "awf_blob_refs WHERE save_id IN (" +
            user_saves + "))";
    diff_bytes =
      diffs_of(" WHERE save_key IN (" + user_save_keys + ")",
               " JOIN awf_save_archives a ON a.archive_id = t.archive_id "
               "WHERE a.save_id IN (SELECT save_id FROM awf_saves WHERE "
               "user_id_hash = :u2)");
    blob_refs = "SELECT COUNT(*) FROM awf_blob_refs WHERE save_id IN (" +
                user_saves + ")";
    turns_by_kind = "SELECT kind, COUNT(*) FROM awf_save_diffs WHERE "
                    "save_key IN (" +
                    user_save_keys + ") GROUP BY kind";
    // Records of the user's saves and of the user's devices.
    audit_by_operation = audit_counts(
      " WHERE save_id IN (" + user_saves +
        ") OR device_id IN (SELECT device_id FROM awf_devices WHERE "
        "user_id_hash = :u2)",
      " AND save_key IN (SELECT save_key FROM awf_saves WHERE user_id_hash "
      "= :u3)");
  }
};

} // namespace

stored<store_totals> compute_store_totals(database& db,
                                          const std::string& user_id_hash) {
  return detail::guarded("compute store totals", [&]() -> stored<store_totals> {
    auto& s = detail::session_of(db);
    const bool per_user = !user_id_hash.empty();
    total_queries q{per_user};
    // One snapshot: totals that agree with each other even while turns are
    // being written.
    read_snapshot snapshot{db};
    store_totals out;
    std::string user = user_id_hash;
    // Runs a query returning one row of up to three numbers.
    auto numbers = [&](const std::string& sql, long long& a, long long* b,
                       long long* c, int user_params = 1) {
      soci::statement st(s);
      st.alloc();
      st.prepare(sql);
      for (int i = 0; per_user && i < user_params; ++i)
        st.exchange(soci::use(user));
      st.exchange(soci::into(a));
      if (b)
        st.exchange(soci::into(*b));
      if (c)
        st.exchange(soci::into(*c));
      st.define_and_bind();
      st.execute(true);
    };
    auto groups = [&](const std::string& sql, int user_params,
                      std::map<std::string, std::int64_t>& into) {
      std::string key;
      long long n = 0;
      soci::statement st(s);
      st.alloc();
      st.prepare(sql);
      for (int i = 0; per_user && i < user_params; ++i)
        st.exchange(soci::use(user));
      st.exchange(soci::into(key));
      st.exchange(soci::into(n));
      st.define_and_bind();
      st.execute(false);
      while (st.fetch())
        into[key] = n;
    };
    long long saves = 0, turns = 0, logical = 0, devices = 0, archives = 0,
              blobs = 0, plain = 0, stored = 0, diffs = 0, refs = 0, failed = 0;
    numbers(q.saves, saves, nullptr, nullptr);
    numbers(q.turns, turns, &logical, nullptr);
    numbers(q.devices, devices, nullptr, nullptr);
    numbers(q.archives, archives, nullptr, nullptr);
    numbers(q.blobs, blobs, &plain, &stored);
    numbers(q.diff_bytes, diffs, nullptr, nullptr, 2);
    numbers(q.blob_refs, refs, nullptr, nullptr);
    numbers(q.integrity_failed, failed, nullptr, nullptr);
    groups(q.turns_by_kind, 1, out.turns_by_kind);
    groups(q.audit_by_operation, 3, out.audit_by_operation);
    out.saves = saves;
    out.turns = turns;
    out.logical_bytes = logical;
    out.devices = devices;
    out.archives = archives;
    out.blobs = blobs;
    out.blob_plain_bytes = plain;
    out.blob_stored_bytes = stored;
    out.stored_bytes = stored + diffs;
    out.blob_refs = refs;
    out.integrity_failed_saves = failed;
    return out;
  });
}

} // namespace awf::persistence
