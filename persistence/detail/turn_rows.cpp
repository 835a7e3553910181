#include "persistence/detail/turn_rows.hpp"

namespace awf::persistence::detail {

stored<std::vector<core::stored_turn>>
load_turn_rows(database& db, const turn_table& table,
               const std::string& owner_id, std::int64_t from, std::int64_t to,
               bool with_blobs) {
  auto& s = session_of(db);
  const std::string turn_col = std::string{"d."} + table.turn_column;
  std::string sql = "SELECT " + turn_col +
                    ", d.kind, d.base_turn, d.state_hash, "
                    "d.chain_hash, d.state_bytes, d.diff_hash";
  if (with_blobs)
    sql += ", b.blob_type, b.codec, b.size, " + bytes_out(db, "b.bytes") +
           " FROM " + table.name +
           " d JOIN awf_save_blobs b ON b.blob_hash = d.diff_hash";
  else
    sql += std::string{" FROM "} + table.name + " d";
  sql += std::string{" WHERE d."} + table.owner_column + " = :id AND " +
         turn_col + " BETWEEN :a AND :b ORDER BY " + turn_col;
  long long a = from;
  long long b = to;
  long long turn_id = 0, base_turn = 0, state_bytes = 0, plain_size = 0;
  std::string kind;
  core::stored_turn row;
  std::string bytes;
  soci::statement st(s);
  st.alloc();
  st.prepare(sql);
  st.exchange(soci::use(owner_id));
  st.exchange(soci::use(a));
  st.exchange(soci::use(b));
  st.exchange(soci::into(turn_id));
  st.exchange(soci::into(kind));
  st.exchange(soci::into(base_turn));
  st.exchange(soci::into(row.state_hash));
  st.exchange(soci::into(row.chain_hash));
  st.exchange(soci::into(state_bytes));
  st.exchange(soci::into(row.blob.hash));
  if (with_blobs) {
    st.exchange(soci::into(row.blob.type));
    st.exchange(soci::into(row.blob.codec));
    st.exchange(soci::into(plain_size));
    st.exchange(soci::into(bytes));
  }
  st.define_and_bind();
  st.execute(false);
  std::vector<core::stored_turn> out;
  while (st.fetch()) {
    auto parsed_kind = core::turn_kind_from_string(kind);
    if (!parsed_kind)
      return storage_error{storage_errc::corrupt,
                           "turn " + std::to_string(turn_id) +
                             " has unknown kind '" + kind + "'"};
    row.turn_id = turn_id;
    row.kind = *parsed_kind;
    row.base_turn = base_turn;
    row.state_bytes = static_cast<std::uint64_t>(state_bytes);
    if (with_blobs) {
      row.blob.plain_size = static_cast<std::uint64_t>(plain_size);
      row.blob.bytes = bytes_from_column(db, bytes);
    }
    out.push_back(row);
  }
  return out;
}

} // namespace awf::persistence::detail
