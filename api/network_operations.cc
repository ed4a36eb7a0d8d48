#include <utility>

#include "api/api.h"

namespace gantry::api {

NetworkOperations::NetworkOperations(Config config, storage::Database* database)
    : config_(std::move(config)), database_(database) {}

#define GANTRY_NOT_YET(Method)                                                      \
  void NetworkOperations::Method(const v1::Method##Request&,                        \
                                 Done<v1::Method##Response> done) {                 \
    done(absl::UnimplementedError(#Method " is not implemented yet"));              \
  }
GANTRY_NOT_YET(CreateVpc)
GANTRY_NOT_YET(DescribeVpcs)
GANTRY_NOT_YET(CreateSubnet)
GANTRY_NOT_YET(DescribeSubnets)
GANTRY_NOT_YET(DeleteSubnet)
GANTRY_NOT_YET(CreateSecurityGroup)
GANTRY_NOT_YET(DescribeSecurityGroups)
#undef GANTRY_NOT_YET

}  // namespace gantry::api
