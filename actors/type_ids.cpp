#include "actors/type_ids.hpp"

#include "actors/save_errc.hpp"

namespace awf::actors {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::awf>();
  cfg.add_error_category(
    caf::atom("awf"),
    [](uint8_t code, caf::atom_value, const caf::message& ctx) -> std::string {
      auto text = std::string{"awf."} + to_string(static_cast<save_errc>(code));
      if (ctx.size() == 1 && ctx.match_element<std::string>(0))
        text += ": " + ctx.get_as<std::string>(0);
      return text;
    });
}

} // namespace awf::actors
