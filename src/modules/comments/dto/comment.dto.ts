import { ApiProperty } from '@nestjs/swagger';
import { Envelope, RequiredText } from '@/common/validation/decorators';
import { ProfileDto } from '@/modules/profiles/dto/profile-response.dto';

export const COMMENT_MAX = 10_000;

export class NewCommentDto {
  @ApiProperty({ example: 'It takes a Jacobian', maxLength: COMMENT_MAX })
  @RequiredText(COMMENT_MAX)
  body: string;
}

export class NewCommentRequestDto {
  @ApiProperty({ type: NewCommentDto })
  @Envelope(() => NewCommentDto)
  comment: NewCommentDto;
}

export class CommentDto {
  @ApiProperty({ type: 'integer', example: 1 })
  id: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ example: 'It takes a Jacobian' })
  body: string;

  @ApiProperty({ type: ProfileDto })
  author: ProfileDto;
}

export class SingleCommentResponseDto {
  @ApiProperty({ type: CommentDto })
  comment: CommentDto;
}

export class MultipleCommentsResponseDto {
  @ApiProperty({ type: [CommentDto] })
  comments: CommentDto[];
}
