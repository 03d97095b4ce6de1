import { Body, Controller, Get, Header, HttpCode, HttpStatus, Post, Put } from '@nestjs/common';
import { ApiConflictResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Auth, CurrentUser } from '@/common/auth/auth.decorators';
import type { Viewer } from '@/common/auth/viewer';
import { ApiErrorResponses } from '@/common/http/api-responses';
import { StrictRateLimit } from '@/infra/rate-limit/rate-limit';
import { LoginUserRequestDto, NewUserRequestDto, UpdateUserRequestDto } from './dto/user-requests.dto';
import { UserResponseDto } from './dto/user-response.dto';
import { UsersService } from './users.service';

/** Every answer here carries a token: no browser, proxy or CDN may keep one (Cache-Control: no-store). */
const NO_STORE = Header('Cache-Control', 'no-store');

@ApiTags('User and Authentication')
@Controller()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /** Login for existing user */
  @Post('users/login')
  @NO_STORE
  @HttpCode(HttpStatus.OK)
  @StrictRateLimit()
  @ApiOperation({ operationId: 'Login', summary: 'Existing user login' })
  @ApiUnauthorizedResponse({ description: 'Unknown email or wrong password', schema: { $ref: '#/components/schemas/GenericErrorModel' } })
  @ApiErrorResponses(422)
  login(@Body() body: LoginUserRequestDto): Promise<UserResponseDto> {
    return this.users.login(body.user);
  }

  /** Register a new user */
  @Post('users')
  @NO_STORE
  @StrictRateLimit()
  @ApiOperation({ operationId: 'CreateUser', summary: 'Register a new user' })
  @ApiConflictResponse({ description: 'Email or username already taken', schema: { $ref: '#/components/schemas/GenericErrorModel' } })
  @ApiErrorResponses(422)
  register(@Body() body: NewUserRequestDto): Promise<UserResponseDto> {
    return this.users.register(body.user);
  }

  /** Gets the currently logged-in user */
  @Get('user')
  @NO_STORE
  @Auth()
  @ApiOperation({ operationId: 'GetCurrentUser', summary: 'Get current user' })
  @ApiErrorResponses(422)
  current(@CurrentUser() viewer: Viewer): Promise<UserResponseDto> {
    return this.users.current(viewer);
  }

  /**
   * Updated user information for current user. `null` clears `bio` and `image`. Changing `email`
   * or `password` needs `currentPassword` and retires every earlier token: the answer carries a
   * new one.
   */
  @Put('user')
  @NO_STORE
  // It checks the current password of an email or password change: as many guesses as a login.
  @StrictRateLimit()
  @Auth()
  @ApiOperation({ operationId: 'UpdateCurrentUser', summary: 'Update current user' })
  @ApiConflictResponse({ description: 'Email or username already taken', schema: { $ref: '#/components/schemas/GenericErrorModel' } })
  @ApiErrorResponses(422)
  update(@CurrentUser() viewer: Viewer, @Body() body: UpdateUserRequestDto): Promise<UserResponseDto> {
    return this.users.update(viewer, body.user);
  }
}
