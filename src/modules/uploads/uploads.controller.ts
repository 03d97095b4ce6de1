import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, UploadedFile, UseInterceptors } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentUser } from '@/common/auth/auth.decorators';
import type { Viewer } from '@/common/auth/viewer';
import { ApiErrorResponses } from '@/common/http/api-responses';
import { UPLOAD_PURPOSES } from './upload.types';
import { UploadImageFieldsDto, UploadResponseDto } from './dto/upload.dto';
import { FILE_FIELD, ImageUploadInterceptor } from './image-upload.interceptor';
import { ReceivedFile, UploadsService } from './uploads.service';

const ERROR_SCHEMA = { $ref: '#/components/schemas/GenericErrorModel' };

/** Conduit extension: image uploads for avatars and article covers, processed in the background. */
@ApiTags('Uploads')
@Controller('uploads')
export class UploadsController {
  constructor(private readonly uploads: UploadsService) {}

  /**
   * Upload an image (JPEG, PNG, WebP, AVIF or GIF; the type is read from the bytes). It is answered
   * at once with status `pending`; poll GET /api/uploads/{id} until it is `ready` (or `failed`), then
   * give its id as `image` to PUT /api/user or as `coverImage` to an article.
   */
  @Post('images')
  @Auth()
  @HttpCode(HttpStatus.ACCEPTED)
  @UseInterceptors(ImageUploadInterceptor)
  @ApiOperation({ operationId: 'UploadImage', summary: 'Upload an image (avatar or article cover)' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: [FILE_FIELD, 'purpose'],
      properties: {
        [FILE_FIELD]: { type: 'string', format: 'binary', description: 'The image; its size is limited by UPLOAD_MAX_BYTES' },
        purpose: { type: 'string', enum: [...UPLOAD_PURPOSES] },
      },
    },
  })
  @ApiAcceptedResponse({ type: UploadResponseDto, description: 'Stored, waiting to be processed' })
  @ApiResponse({ status: 413, description: 'File larger than the limit, or storage quota used up', schema: ERROR_SCHEMA })
  @ApiResponse({ status: 415, description: 'Not multipart/form-data, or not an accepted image type', schema: ERROR_SCHEMA })
  @ApiResponse({
    status: 429,
    description: 'Too many uploads in the last hour (UPLOADS_PER_HOUR), or already UPLOADS_CONCURRENT_PER_USER (default 2) of yours in flight; see Retry-After',
    schema: ERROR_SCHEMA,
  })
  @ApiErrorResponses(422)
  upload(@CurrentUser() viewer: Viewer, @UploadedFile() file: ReceivedFile | undefined, @Body() fields: UploadImageFieldsDto): Promise<UploadResponseDto> {
    return this.uploads.accept(viewer, file, fields.purpose);
  }

  /** The state of one of your uploads: `pending`, `ready` with the variants' URLs, or `failed` with the reason. */
  @Get(':id')
  @Auth()
  @ApiOperation({ operationId: 'GetUpload', summary: 'Get the status of an upload' })
  @ApiErrorResponses(404)
  get(@CurrentUser() viewer: Viewer, @Param('id') id: string): Promise<UploadResponseDto> {
    return this.uploads.get(viewer, id);
  }
}
