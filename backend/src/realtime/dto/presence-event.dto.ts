/** `presence`: a friend came online (first socket) or went offline (last socket closed). */
export class PresenceEventDto {
  userId: string;
  online: boolean;
}
