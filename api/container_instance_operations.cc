#include "api/api.h"

namespace gantry::api {

void EcsOperations::ListContainerInstances(const v1::ListContainerInstancesRequest&,
                                           Done<v1::ListContainerInstancesResponse> done) {
  done(absl::UnimplementedError("ListContainerInstances is not implemented yet"));
}

void EcsOperations::DescribeContainerInstances(
    const v1::DescribeContainerInstancesRequest&,
    Done<v1::DescribeContainerInstancesResponse> done) {
  done(absl::UnimplementedError("DescribeContainerInstances is not implemented yet"));
}

}  // namespace gantry::api
