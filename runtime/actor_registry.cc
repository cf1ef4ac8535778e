#include "runtime/actor.h"

namespace ist::rt {

ActorTypeRegistry& ActorTypeRegistry::global() {
  static ActorTypeRegistry* registry = new ActorTypeRegistry();  // never destroyed: used until exit
  return *registry;
}

Status ActorTypeRegistry::add(ActorType type) {
  if (type.name.empty()) return Status::invalid_argument("actor type needs a name");
  if (!type.factory) return Status::invalid_argument("actor type " + type.name + " has no factory");
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (types_.count(type.name) != 0) {
    return Status::invalid_argument("actor type " + type.name + " is already registered");
  }
  std::string name = type.name;
  types_.emplace(std::move(name), std::make_shared<const ActorType>(std::move(type)));
  return Status();
}

std::shared_ptr<const ActorType> ActorTypeRegistry::find(const std::string& name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : it->second;
}

}  // namespace ist::rt
