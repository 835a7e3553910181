// The REST routes, one function per endpoint; api_router dispatches to them.
#pragma once

#include <string>

#include "net/route_support.hpp"

namespace awf::net {

// Saves (contract §4, §7).
void create_save(api_context& ctx, handle_ptr h);
void list_saves(api_context& ctx, handle_ptr h);
void materialize_save(api_context& ctx, handle_ptr h);
void verify_save(api_context& ctx, handle_ptr h);

// Conflicts and restores (contract §6-§8).
void restore_save(api_context& ctx, handle_ptr h);
void save_conflicts(api_context& ctx, handle_ptr h);

// Devices (contract §2).
void register_device(api_context& ctx, handle_ptr h);
void rotate_device(api_context& ctx, handle_ptr h, std::string device_id);
void revoke_device(api_context& ctx, handle_ptr h, std::string device_id);

// Sync (contract §5).
void sync_up_route(api_context& ctx, handle_ptr h);
void sync_down_route(api_context& ctx, handle_ptr h);

// Operations (contract §8).
void metrics_route(api_context& ctx, handle_ptr h);
void ready_route(api_context& ctx, handle_ptr h);
void save_stats(api_context& ctx, handle_ptr h);
void admin_save(api_context& ctx, handle_ptr h, std::string save_id);
void admin_device(api_context& ctx, handle_ptr h, std::string device_id);
void admin_audit(api_context& ctx, handle_ptr h);

} // namespace awf::net
