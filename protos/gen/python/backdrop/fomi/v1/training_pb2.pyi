from backdrop.options.v1 import options_pb2 as _options_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TrainingImage(_message.Message):
    __slots__ = ("url", "imageId", "caption", "weight")
    URL_FIELD_NUMBER: _ClassVar[int]
    IMAGEID_FIELD_NUMBER: _ClassVar[int]
    CAPTION_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    url: str
    imageId: str
    caption: str
    weight: float
    def __init__(self, url: _Optional[str] = ..., imageId: _Optional[str] = ..., caption: _Optional[str] = ..., weight: _Optional[float] = ...) -> None: ...

class TrainingParams(_message.Message):
    __slots__ = ("model", "epochs", "learningRate", "batchSize", "resolution", "scheduler", "optimizer", "rank", "adapters")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    LEARNINGRATE_FIELD_NUMBER: _ClassVar[int]
    BATCHSIZE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    SCHEDULER_FIELD_NUMBER: _ClassVar[int]
    OPTIMIZER_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    ADAPTERS_FIELD_NUMBER: _ClassVar[int]
    model: str
    epochs: int
    learningRate: float
    batchSize: int
    resolution: int
    scheduler: str
    optimizer: str
    rank: int
    adapters: str
    def __init__(self, model: _Optional[str] = ..., epochs: _Optional[int] = ..., learningRate: _Optional[float] = ..., batchSize: _Optional[int] = ..., resolution: _Optional[int] = ..., scheduler: _Optional[str] = ..., optimizer: _Optional[str] = ..., rank: _Optional[int] = ..., adapters: _Optional[str] = ...) -> None: ...

class StartTrainingRequest(_message.Message):
    __slots__ = ("name", "description", "images", "trainingParams", "triggerWord", "category", "isPublic")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    TRAININGPARAMS_FIELD_NUMBER: _ClassVar[int]
    TRIGGERWORD_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ISPUBLIC_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    images: _containers.RepeatedCompositeFieldContainer[TrainingImage]
    trainingParams: TrainingParams
    triggerWord: str
    category: str
    isPublic: bool
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., images: _Optional[_Iterable[_Union[TrainingImage, _Mapping]]] = ..., trainingParams: _Optional[_Union[TrainingParams, _Mapping]] = ..., triggerWord: _Optional[str] = ..., category: _Optional[str] = ..., isPublic: _Optional[bool] = ...) -> None: ...

class TrainedModelRef(_message.Message):
    __slots__ = ("id", "name", "url", "triggerWord")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    TRIGGERWORD_FIELD_NUMBER: _ClassVar[int]
    id: _struct_pb2.Value
    name: _struct_pb2.Value
    url: _struct_pb2.Value
    triggerWord: str
    def __init__(self, id: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., name: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., url: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., triggerWord: _Optional[str] = ...) -> None: ...

class Training(_message.Message):
    __slots__ = ("id", "name", "status", "progress", "images", "settings", "model", "createdAt", "estimatedCompletion", "completedAt", "description", "category", "isPublic", "epoch", "loss", "totalEpochs", "totalSteps", "epochLosses", "error", "creditsCharged")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    IMAGES_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    ESTIMATEDCOMPLETION_FIELD_NUMBER: _ClassVar[int]
    COMPLETEDAT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ISPUBLIC_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    TOTALEPOCHS_FIELD_NUMBER: _ClassVar[int]
    TOTALSTEPS_FIELD_NUMBER: _ClassVar[int]
    EPOCHLOSSES_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREDITSCHARGED_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    status: str
    progress: int
    images: _containers.RepeatedCompositeFieldContainer[TrainingImage]
    settings: TrainingParams
    model: TrainedModelRef
    createdAt: str
    estimatedCompletion: str
    completedAt: _struct_pb2.Value
    description: str
    category: str
    isPublic: bool
    epoch: int
    loss: float
    totalEpochs: int
    totalSteps: int
    epochLosses: _containers.RepeatedScalarFieldContainer[float]
    error: str
    creditsCharged: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[str] = ..., progress: _Optional[int] = ..., images: _Optional[_Iterable[_Union[TrainingImage, _Mapping]]] = ..., settings: _Optional[_Union[TrainingParams, _Mapping]] = ..., model: _Optional[_Union[TrainedModelRef, _Mapping]] = ..., createdAt: _Optional[str] = ..., estimatedCompletion: _Optional[str] = ..., completedAt: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., description: _Optional[str] = ..., category: _Optional[str] = ..., isPublic: _Optional[bool] = ..., epoch: _Optional[int] = ..., loss: _Optional[float] = ..., totalEpochs: _Optional[int] = ..., totalSteps: _Optional[int] = ..., epochLosses: _Optional[_Iterable[float]] = ..., error: _Optional[str] = ..., creditsCharged: _Optional[int] = ...) -> None: ...

class TrainingResponse(_message.Message):
    __slots__ = ("success", "training")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    TRAINING_FIELD_NUMBER: _ClassVar[int]
    success: bool
    training: Training
    def __init__(self, success: _Optional[bool] = ..., training: _Optional[_Union[Training, _Mapping]] = ...) -> None: ...

class TrainingRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class TrainingProgress(_message.Message):
    __slots__ = ("success", "progress", "status", "message", "epoch", "loss")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    success: bool
    progress: int
    status: str
    message: str
    epoch: int
    loss: float
    def __init__(self, success: _Optional[bool] = ..., progress: _Optional[int] = ..., status: _Optional[str] = ..., message: _Optional[str] = ..., epoch: _Optional[int] = ..., loss: _Optional[float] = ...) -> None: ...

class CustomModel(_message.Message):
    __slots__ = ("id", "name", "description", "triggerWord", "category", "isPublic", "tags", "baseModel", "trainingId", "createdAt", "isOwner", "loss")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TRIGGERWORD_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ISPUBLIC_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    BASEMODEL_FIELD_NUMBER: _ClassVar[int]
    TRAININGID_FIELD_NUMBER: _ClassVar[int]
    CREATEDAT_FIELD_NUMBER: _ClassVar[int]
    ISOWNER_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    triggerWord: str
    category: str
    isPublic: bool
    tags: _containers.RepeatedScalarFieldContainer[str]
    baseModel: str
    trainingId: str
    createdAt: str
    isOwner: bool
    loss: float
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., triggerWord: _Optional[str] = ..., category: _Optional[str] = ..., isPublic: _Optional[bool] = ..., tags: _Optional[_Iterable[str]] = ..., baseModel: _Optional[str] = ..., trainingId: _Optional[str] = ..., createdAt: _Optional[str] = ..., isOwner: _Optional[bool] = ..., loss: _Optional[float] = ...) -> None: ...

class CustomModelsResponse(_message.Message):
    __slots__ = ("success", "models", "total")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    success: bool
    models: _containers.RepeatedCompositeFieldContainer[CustomModel]
    total: int
    def __init__(self, success: _Optional[bool] = ..., models: _Optional[_Iterable[_Union[CustomModel, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class CustomModelRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class CustomModelResponse(_message.Message):
    __slots__ = ("success", "model")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    success: bool
    model: CustomModel
    def __init__(self, success: _Optional[bool] = ..., model: _Optional[_Union[CustomModel, _Mapping]] = ...) -> None: ...

class ShareCustomModelRequest(_message.Message):
    __slots__ = ("id", "isPublic", "description", "tags")
    ID_FIELD_NUMBER: _ClassVar[int]
    ISPUBLIC_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    id: str
    isPublic: bool
    description: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., isPublic: _Optional[bool] = ..., description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteCustomModelResponse(_message.Message):
    __slots__ = ("success", "message")
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    success: bool
    message: str
    def __init__(self, success: _Optional[bool] = ..., message: _Optional[str] = ...) -> None: ...

class CustomModelsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
