#include "persistence/detail/turn_rows.hpp"

#include <stdexcept>

namespace awf::persistence::detail {

namespace {

/// How a diff stored in its row was compressed: the rule encode_turn keeps.
const char* inline_codec(core::turn_kind kind) {
  return kind == core::turn_kind::zstd_delta ? "raw" : "zstd";
}

} // namespace

std::string save_key_of(const std::string& parameter) {
  return "(SELECT save_key FROM awf_saves WHERE save_id = " + parameter + ")";
}

stored<std::vector<core::stored_turn>>
load_turn_rows(database& db, const turn_table& table,
               const std::string& owner_id, std::int64_t from, std::int64_t to,
               bool with_blobs) {
  auto& s = session_of(db);
  const std::string turn_col = std::string{"d."} + table.turn_column;
  // A diff lives in its row (`body`); a snapshot in the shared blob table.
  std::string sql = "SELECT " + turn_col + ", d.kind, d.base_turn, " +
                    hash_out(db, "d.state_hash") + ", " +
                    hash_out(db, "d.chain_hash") +
                    ", d.state_bytes, d.diff_hash, COALESCE(d.device_id, '')";
  if (with_blobs)
    sql += ", COALESCE(b.codec, ''), COALESCE(b.size, 0), " +
           bytes_out(db, "COALESCE(d.body, b.bytes)") + " FROM " + table.name +
           " d LEFT JOIN awf_save_blobs b ON d.body IS NULL AND b.blob_hash "
           "= d.diff_hash";
  else
    sql += std::string{" FROM "} + table.name + " d";
  sql += std::string{" WHERE d."} + table.owner_column + " = " +
         table.owner_of + " AND " + turn_col + " BETWEEN :a AND :b ORDER BY " +
         turn_col;
  long long a = from;
  long long b = to;
  long long turn_id = 0, base_turn = 0, state_bytes = 0, plain_size = 0;
  std::string kind, diff_hash, codec;
  core::stored_turn row;
  std::string bytes;
  soci::indicator bytes_ind = soci::i_ok;
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
  st.exchange(soci::into(diff_hash));
  st.exchange(soci::into(row.device_id));
  if (with_blobs) {
    st.exchange(soci::into(codec));
    st.exchange(soci::into(plain_size));
    st.exchange(soci::into(bytes, bytes_ind));
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
    bool snapshot = row.kind == core::turn_kind::snapshot;
    // A diff written in its row is sealed under the turn's state hash and
    // has no content hash of its own (an empty diff_hash).
    row.blob.content_addressed = !diff_hash.empty();
    row.blob.hash = diff_hash.empty() ? row.state_hash : diff_hash;
    if (with_blobs) {
      row.blob.type = snapshot ? "snapshot" : "diff";
      row.blob.codec = snapshot ? codec : inline_codec(row.kind);
      row.blob.plain_size =
        snapshot ? static_cast<std::uint64_t>(plain_size) : 0;
      // A snapshot whose blob is missing reads as empty: it fails its
      // authentication, an integrity failure like any damaged turn.
      row.blob.bytes = bytes_ind == soci::i_null
                         ? std::string{}
                         : bytes_from_column(db, std::move(bytes));
    }
    out.push_back(row);
  }
  return out;
}

} // namespace awf::persistence::detail

namespace awf::persistence::detail {

turn_row_writes::turn_row_writes(database& db, const turn_table& table,
                                 blob_writes& blobs)
  : db_(db), blobs_(blobs), has_sync_records_(table.has_sync_records),
    insert_(session_of(db)) {
  std::string columns = table.owner_column;
  std::string values = table.owner_of;
  if (table.has_from_turn) {
    columns += ", from_turn";
    values += ", :f";
  }
  columns += std::string{", "} + table.turn_column +
             ", diff_hash, chain_hash, state_hash, kind, base_turn, "
             "state_bytes, body, device_id";
  values += ", :t, :d, " + bytes_in(db, ":c") + ", " + bytes_in(db, ":h") +
            ", :k, :b, :sb, " + bytes_in(db, ":body") + ", :dv";
  if (table.has_sync_records) {
    columns += ", sync_turns, created_at";
    values += ", :st, :ca";
  }
  insert_.alloc();
  insert_.prepare(std::string{"INSERT INTO "} + table.name + " (" + columns +
                  ") VALUES (" + values + ")");
  insert_.exchange(soci::use(owner_id_));
  if (table.has_from_turn)
    insert_.exchange(soci::use(from_turn_));
  insert_.exchange(soci::use(turn_id_));
  insert_.exchange(soci::use(diff_hash_));
  insert_.exchange(soci::use(chain_hash_));
  insert_.exchange(soci::use(state_hash_));
  insert_.exchange(soci::use(kind_));
  insert_.exchange(soci::use(base_turn_));
  insert_.exchange(soci::use(state_bytes_));
  insert_.exchange(soci::use(body_, body_ind_));
  insert_.exchange(soci::use(device_id_, device_ind_));
  if (table.has_sync_records) {
    insert_.exchange(soci::use(sync_turns_, sync_turns_ind_));
    insert_.exchange(soci::use(created_at_));
  }
  insert_.define_and_bind();
}

void turn_row_writes::insert(const std::string& owner_id,
                             const std::string& save_id,
                             const core::stored_turn& turn,
                             key_use_counts& uses, std::int64_t sync_turns) {
  if (sync_turns > 0 && !has_sync_records_)
    throw std::logic_error("this turn table keeps no sync up records");
  // A snapshot is shared by content; a diff is the turn's own.
  bool snapshot = turn.kind == core::turn_kind::snapshot;
  if (snapshot) {
    blobs_.store(save_id, turn.blob);
    body_.clear();
    body_ind_ = soci::i_null;
  } else {
    body_ = bytes_to_parameter(db_, turn.blob.bytes);
    body_ind_ = soci::i_ok;
  }
  owner_id_ = owner_id;
  turn_id_ = turn.turn_id;
  from_turn_ = turn.turn_id - 1;
  diff_hash_ = turn.blob.content_addressed ? turn.blob.hash : std::string{};
  chain_hash_ = hash_to_parameter(db_, turn.chain_hash);
  state_hash_ = hash_to_parameter(db_, turn.state_hash);
  kind_ = core::to_string(turn.kind);
  base_turn_ = turn.base_turn;
  state_bytes_ = static_cast<long long>(turn.state_bytes);
  device_id_ = turn.device_id;
  device_ind_ = turn.device_id.empty() ? soci::i_null : soci::i_ok;
  sync_turns_ = sync_turns;
  sync_turns_ind_ = sync_turns > 0 ? soci::i_ok : soci::i_null;
  if (has_sync_records_)
    created_at_ = now_ms_text(db_);
  insert_.execute(true);
  blob_writes::note_key_use(uses, turn.blob);
}

} // namespace awf::persistence::detail
