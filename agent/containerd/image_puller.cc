#include "agent/containerd/image_puller.h"

#include <cstdint>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "google/protobuf/struct.pb.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace gantry::agent::containerd {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr absl::Duration kLeaseExpiry = absl::Hours(1);
constexpr absl::Duration kLayerTimeout = absl::Minutes(30);

#if defined(__x86_64__)
constexpr char kArchitecture[] = "amd64";
#elif defined(__aarch64__)
constexpr char kArchitecture[] = "arm64";
#else
#error "unknown architecture: add its OCI name"
#endif

// containerd's garbage collector follows these labels from an image record down to
// its blobs and snapshots.
constexpr char kGcContentPrefix[] = "containerd.io/gc.ref.content.";
constexpr char kGcSnapshotLabel[] = "containerd.io/gc.ref.snapshot.overlayfs";
constexpr char kGcExpireLabel[] = "containerd.io/gc.expire";

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
};

absl::StatusOr<Struct> ParseJson(std::string_view json, std::string_view what) {
  Struct parsed;
  auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &parsed);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat(std::string(what), " is not JSON: ", std::string(status.message())));
  }
  return parsed;
}

std::string StringField(const Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  if (it == object.fields().end() || !it->second.has_string_value()) {
    return "";
  }
  return it->second.string_value();
}

absl::StatusOr<Descriptor> DescriptorOf(const Value& value, std::string_view what) {
  if (!value.has_struct_value()) {
    return absl::InternalError(absl::StrCat(std::string(what), " is not a descriptor"));
  }
  const Struct& object = value.struct_value();
  Descriptor descriptor{StringField(object, "mediaType"), StringField(object, "digest"), 0};
  auto size = object.fields().find("size");
  if (descriptor.digest.empty() || size == object.fields().end() ||
      !size->second.has_number_value()) {
    return absl::InternalError(absl::StrCat(std::string(what), " lacks a digest or a size"));
  }
  descriptor.size = static_cast<int64_t>(size->second.number_value());
  return descriptor;
}

const google::protobuf::ListValue* ListField(const Struct& object, const std::string& key) {
  auto it = object.fields().find(key);
  if (it == object.fields().end() || !it->second.has_list_value()) {
    return nullptr;
  }
  return &it->second.list_value();
}

// The manifest of this machine's platform in an index (or Docker manifest list).
absl::StatusOr<std::string> PlatformManifest(const Manifest& index, const std::string& name) {
  GANTRY_ASSIGN_OR_RETURN(Struct parsed, ParseJson(index.body, "the image index"));
  const google::protobuf::ListValue* manifests = ListField(parsed, "manifests");
  if (manifests != nullptr) {
    for (const Value& entry : manifests->values()) {
      if (!entry.has_struct_value()) {
        continue;
      }
      auto platform = entry.struct_value().fields().find("platform");
      if (platform == entry.struct_value().fields().end() || !platform->second.has_struct_value()) {
        continue;
      }
      if (StringField(platform->second.struct_value(), "os") == "linux" &&
          StringField(platform->second.struct_value(), "architecture") == kArchitecture) {
        return StringField(entry.struct_value(), "digest");
      }
    }
  }
  return absl::NotFoundError(
      absl::StrCat("image ", name, " has no manifest for linux/", kArchitecture));
}

struct ManifestContent {
  Descriptor config;
  std::vector<Descriptor> layers;
};

absl::StatusOr<ManifestContent> ParseManifest(const Manifest& manifest) {
  GANTRY_ASSIGN_OR_RETURN(Struct parsed, ParseJson(manifest.body, "the image manifest"));
  ManifestContent content;
  auto config = parsed.fields().find("config");
  if (config == parsed.fields().end()) {
    return absl::InternalError("the image manifest has no config");
  }
  GANTRY_ASSIGN_OR_RETURN(content.config, DescriptorOf(config->second, "the manifest's config"));
  const google::protobuf::ListValue* layers = ListField(parsed, "layers");
  if (layers == nullptr) {
    return absl::InternalError("the image manifest has no layers");
  }
  for (const Value& layer : layers->values()) {
    GANTRY_ASSIGN_OR_RETURN(Descriptor descriptor, DescriptorOf(layer, "a manifest layer"));
    content.layers.push_back(std::move(descriptor));
  }
  return content;
}

std::string RandomSuffix() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  return absl::StrFormat("%016x", random());
}

// One pull: the lease and the steps that use it.
class PullRun {
 public:
  PullRun(const Client& client, const RegistryClient& registry, ImageRef image)
      : client_(client), registry_(registry), image_(std::move(image)) {}

  absl::StatusOr<PulledImage> Run() {
    GANTRY_RETURN_IF_ERROR(CreateLease());
    absl::StatusOr<PulledImage> pulled = PullUnderLease();
    DeleteLease();
    return pulled;
  }

 private:
  absl::StatusOr<PulledImage> PullUnderLease() {
    GANTRY_ASSIGN_OR_RETURN(Manifest top, registry_.GetManifest(image_, image_.Reference()));
    std::optional<Manifest> index;
    Manifest manifest = top;
    if (top.media_type == kOciIndexType || top.media_type == kDockerListType) {
      GANTRY_ASSIGN_OR_RETURN(std::string digest, PlatformManifest(top, image_.Name()));
      GANTRY_ASSIGN_OR_RETURN(manifest, registry_.GetManifest(image_, digest));
      index = std::move(top);
    }
    GANTRY_ASSIGN_OR_RETURN(ManifestContent content, ParseManifest(manifest));
    std::string config_json;
    GANTRY_RETURN_IF_ERROR(
        registry_.GetBlob(image_, content.config.digest, [&](std::string_view chunk) {
          config_json.append(chunk);
          return absl::OkStatus();
        }));
    GANTRY_ASSIGN_OR_RETURN(ImageConfig config, ParseImageConfig(config_json));
    if (config.diff_ids.size() != content.layers.size()) {
      return absl::InternalError(absl::StrCat("image ", image_.Name(), " has ",
                                              content.layers.size(), " layers but ",
                                              config.diff_ids.size(), " diff ids"));
    }
    const std::vector<std::string> chain_ids = ChainIds(config.diff_ids);
    const std::string top_chain_id = chain_ids.empty() ? "" : chain_ids.back();

    for (const Descriptor& layer : content.layers) {
      GANTRY_RETURN_IF_ERROR(StoreBlob(layer, {}));
    }
    GANTRY_RETURN_IF_ERROR(
        StoreBytes(content.config, config_json, {{kGcSnapshotLabel, top_chain_id}}));
    std::map<std::string, std::string> manifest_labels = {
        {absl::StrCat(kGcContentPrefix, "config"), content.config.digest}};
    for (size_t i = 0; i < content.layers.size(); ++i) {
      manifest_labels[absl::StrCat(kGcContentPrefix, "l.", i)] = content.layers[i].digest;
    }
    const Descriptor manifest_descriptor{manifest.media_type, manifest.digest,
                                         static_cast<int64_t>(manifest.body.size())};
    GANTRY_RETURN_IF_ERROR(StoreBytes(manifest_descriptor, manifest.body, manifest_labels));
    Descriptor target = manifest_descriptor;
    if (index.has_value()) {
      target =
          Descriptor{index->media_type, index->digest, static_cast<int64_t>(index->body.size())};
      GANTRY_RETURN_IF_ERROR(StoreBytes(
          target, index->body, {{absl::StrCat(kGcContentPrefix, "m.0"), manifest.digest}}));
    }
    GANTRY_RETURN_IF_ERROR(Unpack(content.layers, config.diff_ids, chain_ids));
    GANTRY_RETURN_IF_ERROR(RecordImage(target));
    return PulledImage{image_.Name(), manifest.digest, std::move(config), top_chain_id};
  }

  absl::Status CreateLease() {
    lease_ = absl::StrCat("gantry-pull-", RandomSuffix());
    leases_api::CreateRequest request;
    request.set_id(lease_);
    (*request.mutable_labels())[kGcExpireLabel] =
        absl::FormatTime(absl::RFC3339_sec, absl::Now() + kLeaseExpiry, absl::UTCTimeZone());
    leases_api::CreateResponse response;
    return FromGrpc(client_.leases().Create(client_.Context().get(), request, &response),
                    "Leases.Create");
  }

  void DeleteLease() {
    leases_api::DeleteRequest request;
    request.set_id(lease_);
    google::protobuf::Empty empty;
    // Best effort: an expired lease is collected anyway.
    client_.leases().Delete(client_.Context().get(), request, &empty);
  }

  absl::StatusOr<bool> HaveContent(const std::string& digest) {
    content_api::InfoRequest request;
    request.set_digest(digest);
    content_api::InfoResponse response;
    grpc::Status status = client_.content().Info(client_.Context().get(), request, &response);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return false;
    }
    GANTRY_RETURN_IF_ERROR(FromGrpc(status, "Content.Info"));
    return true;
  }

  // A layer: downloaded into the content store unless it is there already.
  absl::Status StoreBlob(const Descriptor& blob, const std::map<std::string, std::string>& labels) {
    GANTRY_ASSIGN_OR_RETURN(bool have, HaveContent(blob.digest));
    if (have) {
      return absl::OkStatus();
    }
    ContentWriter writer(client_, lease_, blob);
    GANTRY_RETURN_IF_ERROR(writer.Open());
    GANTRY_RETURN_IF_ERROR(registry_.GetBlob(
        image_, blob.digest, [&](std::string_view chunk) { return writer.Write(chunk); }));
    return writer.Commit(labels);
  }

  absl::Status StoreBytes(const Descriptor& blob, std::string_view bytes,
                          const std::map<std::string, std::string>& labels) {
    GANTRY_ASSIGN_OR_RETURN(bool have, HaveContent(blob.digest));
    if (have) {
      return absl::OkStatus();
    }
    ContentWriter writer(client_, lease_, blob);
    GANTRY_RETURN_IF_ERROR(writer.Open());
    GANTRY_RETURN_IF_ERROR(writer.Write(bytes));
    return writer.Commit(labels);
  }

  // Content.Write as a stream of WRITE requests and one COMMIT, each answered.
  class ContentWriter {
   public:
    ContentWriter(const Client& client, const std::string& lease, const Descriptor& blob)
        : client_(client), lease_(lease), blob_(blob) {}

    absl::Status Open() {
      context_ = client_.Context(kLayerTimeout, lease_);
      stream_ = client_.content().Write(context_.get());
      return absl::OkStatus();
    }

    absl::Status Write(std::string_view chunk) {
      content_api::WriteContentRequest request = Request(content_api::WRITE);
      request.set_data(std::string(chunk));
      offset_ += static_cast<int64_t>(chunk.size());
      return Exchange(request);
    }

    absl::Status Commit(const std::map<std::string, std::string>& labels) {
      content_api::WriteContentRequest request = Request(content_api::COMMIT);
      request.mutable_labels()->insert(labels.begin(), labels.end());
      absl::Status status = Exchange(request);
      if (!finished_) {
        // gRPC's Finish waits for the reads to be drained: containerd answers the
        // half-close by ending the stream, and that end must be read first.
        stream_->WritesDone();
        content_api::WriteContentResponse extra;
        while (stream_->Read(&extra)) {
        }
        status.Update(Finish());
      }
      // Another writer committed the same blob first: it is there all the same.
      return absl::IsAlreadyExists(status) ? absl::OkStatus() : status;
    }

   private:
    content_api::WriteContentRequest Request(content_api::WriteAction action) const {
      content_api::WriteContentRequest request;
      request.set_action(action);
      request.set_ref(absl::StrCat("gantry-", blob_.digest));
      request.set_total(blob_.size);
      request.set_expected(blob_.digest);
      request.set_offset(offset_);
      return request;
    }

    // One request and its answer; a broken stream is finished here (once) and its
    // status kept for every later call.
    absl::Status Exchange(const content_api::WriteContentRequest& request) {
      if (finished_) {
        return final_status_;
      }
      content_api::WriteContentResponse response;
      if (!stream_->Write(request) || !stream_->Read(&response)) {
        return Finish();
      }
      return absl::OkStatus();
    }

    absl::Status Finish() {
      finished_ = true;
      final_status_ = FromGrpc(stream_->Finish(), absl::StrCat("Content.Write ", blob_.digest));
      return final_status_;
    }

    const Client& client_;
    const std::string& lease_;
    const Descriptor blob_;
    int64_t offset_ = 0;
    bool finished_ = false;
    absl::Status final_status_;
    std::unique_ptr<grpc::ClientContext> context_;
    std::unique_ptr<grpc::ClientReaderWriter<content_api::WriteContentRequest,
                                             content_api::WriteContentResponse>>
        stream_;
  };

  absl::StatusOr<bool> HaveSnapshot(const std::string& name) {
    snapshots_api::StatSnapshotRequest request;
    request.set_snapshotter(kSnapshotter);
    request.set_key(name);
    snapshots_api::StatSnapshotResponse response;
    grpc::Status status = client_.snapshots().Stat(client_.Context().get(), request, &response);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return false;
    }
    GANTRY_RETURN_IF_ERROR(FromGrpc(status, "Snapshots.Stat"));
    return true;
  }

  // Each layer applied on its parent's snapshot and committed under its chain id.
  absl::Status Unpack(const std::vector<Descriptor>& layers,
                      const std::vector<std::string>& diff_ids,
                      const std::vector<std::string>& chain_ids) {
    std::string parent;
    for (size_t i = 0; i < layers.size(); ++i) {
      GANTRY_ASSIGN_OR_RETURN(bool have, HaveSnapshot(chain_ids[i]));
      if (!have) {
        GANTRY_RETURN_IF_ERROR(ApplyLayer(layers[i], diff_ids[i], parent, chain_ids[i]));
      }
      parent = chain_ids[i];
    }
    return absl::OkStatus();
  }

  absl::Status ApplyLayer(const Descriptor& layer, const std::string& diff_id,
                          const std::string& parent, const std::string& chain_id) {
    const std::string key = absl::StrCat("gantry-extract-", RandomSuffix(), "-", chain_id);
    snapshots_api::PrepareSnapshotRequest prepare;
    prepare.set_snapshotter(kSnapshotter);
    prepare.set_key(key);
    prepare.set_parent(parent);
    snapshots_api::PrepareSnapshotResponse prepared;
    GANTRY_RETURN_IF_ERROR(
        FromGrpc(client_.snapshots().Prepare(client_.Context(kCallTimeout, lease_).get(), prepare,
                                             &prepared),
                 "Snapshots.Prepare"));
    diff_api::ApplyRequest apply;
    apply.mutable_diff()->set_media_type(layer.media_type);
    apply.mutable_diff()->set_digest(layer.digest);
    apply.mutable_diff()->set_size(layer.size);
    *apply.mutable_mounts() = prepared.mounts();
    diff_api::ApplyResponse applied;
    absl::Status status = FromGrpc(
        client_.diff().Apply(client_.Context(kLayerTimeout, lease_).get(), apply, &applied),
        "Diff.Apply");
    if (status.ok() && applied.applied().digest() != diff_id) {
      status = absl::InternalError(absl::StrCat("layer ", layer.digest, " unpacks to ",
                                                applied.applied().digest(), ", not to ", diff_id));
    }
    if (status.ok()) {
      status = CommitSnapshot(key, chain_id);
    }
    if (!status.ok()) {
      RemoveSnapshot(key);
    }
    return status;
  }

  absl::Status CommitSnapshot(const std::string& key, const std::string& name) {
    snapshots_api::CommitSnapshotRequest commit;
    commit.set_snapshotter(kSnapshotter);
    commit.set_key(key);
    commit.set_name(name);
    google::protobuf::Empty empty;
    absl::Status status = FromGrpc(
        client_.snapshots().Commit(client_.Context(kCallTimeout, lease_).get(), commit, &empty),
        "Snapshots.Commit");
    if (absl::IsAlreadyExists(status)) {
      RemoveSnapshot(key);  // committed meanwhile by someone else: theirs serves
      return absl::OkStatus();
    }
    return status;
  }

  void RemoveSnapshot(const std::string& key) {
    snapshots_api::RemoveSnapshotRequest request;
    request.set_snapshotter(kSnapshotter);
    request.set_key(key);
    google::protobuf::Empty empty;
    client_.snapshots().Remove(client_.Context().get(), request, &empty);  // best effort
  }

  absl::Status RecordImage(const Descriptor& target) {
    images_api::Image image;
    image.set_name(image_.Name());
    image.mutable_target()->set_media_type(target.media_type);
    image.mutable_target()->set_digest(target.digest);
    image.mutable_target()->set_size(target.size);
    images_api::CreateImageRequest create;
    *create.mutable_image() = image;
    images_api::CreateImageResponse created;
    grpc::Status status = client_.images().Create(client_.Context().get(), create, &created);
    if (status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
      return FromGrpc(status, "Images.Create");
    }
    images_api::UpdateImageRequest update;
    *update.mutable_image() = image;
    images_api::UpdateImageResponse updated;
    return FromGrpc(client_.images().Update(client_.Context().get(), update, &updated),
                    "Images.Update");
  }

  const Client& client_;
  const RegistryClient& registry_;
  const ImageRef image_;
  std::string lease_;
};

}  // namespace

ImagePuller::ImagePuller(const Client* client, const RegistryClient* registry)
    : client_(client), registry_(registry) {}

absl::StatusOr<PulledImage> ImagePuller::Pull(std::string_view reference) {
  GANTRY_ASSIGN_OR_RETURN(ImageRef image, ParseImageRef(reference));
  absl::MutexLock lock(&mutex_);
  return PullRun(*client_, *registry_, std::move(image)).Run();
}

}  // namespace gantry::agent::containerd
