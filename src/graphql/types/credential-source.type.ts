import { Field, ID, ObjectType } from "type-graphql";

@ObjectType({
  simpleResolvers: true,
  description: "A credential library or credential a target brokers to its users or injects into their connections.",
})
export class CredentialSource {
  @Field(() => ID, { nullable: true, description: "The credential library's or credential's id (`clvlt_…`, `credup_…`, …)." })
  id?: string;

  @Field(() => String, { nullable: true, description: "The credential source's name." })
  name?: string;

  @Field(() => String, { nullable: true, description: "The credential source's description." })
  description?: string;

  @Field(() => ID, { nullable: true, description: "The credential store the source belongs to." })
  credentialStoreId?: string;

  @Field(() => String, {
    nullable: true,
    description: "The source's type, e.g. `vault-generic` or `static` (not the type of the credential).",
  })
  type?: string;

  @Field(() => String, { nullable: true, description: "The type of credential it issues, e.g. `username_password` or `ssh_private_key`." })
  credentialType?: string;
}
